import { randomBytes } from 'node:crypto'
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises'
import path from 'node:path'
import lockfile from 'proper-lockfile'
import { emptyModel, FaceModelSchema, parseAnyModel, type FaceModel } from '../../shared/face/model.js'
import { HttpError } from '../errors.js'

const modelFile = 'faces.json'
const backupFile = 'faces.json.bak'
const tempPattern = /^faces\.json(\.bak)?\.[0-9a-f]+\.tmp$/

function log(level: 'warn' | 'error', msg: string, fields: Record<string, unknown>) {
  console.error(JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields }))
}

async function readModelFile(file: string): Promise<FaceModel | 'missing' | 'invalid'> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'missing'
    throw err
  }
  try {
    const parsed = parseAnyModel(JSON.parse(text))
    if (parsed.success) return parsed.data
    log('error', 'face model file does not match its schema', { file, problem: parsed.error.issues[0]?.message })
  } catch {
    log('error', 'face model file is not valid JSON', { file })
  }
  return 'invalid'
}

/** Writes a file so that readers see the old content or the new, never a part: temp file, fsync, rename. */
async function writeAtomically(dir: string, name: string, content: string): Promise<void> {
  const temp = path.join(dir, `${name}.${randomBytes(6).toString('hex')}.tmp`)
  const handle = await open(temp, 'wx')
  try {
    await handle.writeFile(content)
    await handle.sync()
  } finally {
    await handle.close()
  }
  try {
    await rename(temp, path.join(dir, name))
  } catch (err) {
    await rm(temp, { force: true })
    throw err
  }
  const folder = await open(dir, 'r')
  try {
    await folder.sync()
  } finally {
    await folder.close()
  }
}

/**
 * DATA_DIR/faces.json, shared by every worker process. Reads never fail on a damaged file (the
 * last good version, kept beside it, is served instead); writes hold a lock across processes
 * and bump the generation.
 */
export class FaceModelStore {
  readonly file: string
  private readonly backup: string

  constructor(private readonly dataDir: string) {
    this.file = path.join(dataDir, modelFile)
    this.backup = path.join(dataDir, backupFile)
  }

  async read(): Promise<FaceModel> {
    const current = await readModelFile(this.file)
    if (current === 'missing') return emptyModel()
    if (current !== 'invalid') return current
    const backup = await readModelFile(this.backup)
    if (backup === 'missing' || backup === 'invalid') {
      throw new Error('faces.json is damaged and there is no good backup beside it')
    }
    log('warn', 'serving the last good face model', { file: this.backup })
    return backup
  }

  /**
   * Applies `change` to the newest model under a lock that every process on this data folder
   * respects, then writes it with the next generation; when `change` returns the model it was
   * given, nothing is written.
   */
  async update(change: (model: FaceModel) => FaceModel | Promise<FaceModel>): Promise<FaceModel> {
    await mkdir(this.dataDir, { recursive: true })
    let release: () => Promise<void>
    try {
      release = await lockfile.lock(this.file, {
        realpath: false,
        stale: 10_000,
        retries: { retries: 200, factor: 1.2, minTimeout: 10, maxTimeout: 200, randomize: true },
      })
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ELOCKED') {
        throw new HttpError(503, 'model_busy', 'The face model is being saved by someone else; try again in a moment')
      }
      throw err
    }
    try {
      await this.removeOrphanTemps()
      const current = await this.read()
      const changed = await change(current)
      if (changed === current) return current
      const next = FaceModelSchema.parse({
        ...changed,
        generation: current.generation + 1,
        updatedAt: new Date().toISOString(),
      })
      const text = JSON.stringify(next)
      await writeAtomically(this.dataDir, modelFile, text)
      // The backup is always the last version written: a damaged faces.json is served from it
      // without losing that write, and the generation a client read stays the current one.
      await writeAtomically(this.dataDir, backupFile, text)
      return next
    } finally {
      await release()
    }
  }

  /** Temp files of a writer that was killed mid-write. Called under the lock, so none is in use. */
  private async removeOrphanTemps(): Promise<void> {
    const names = await readdir(this.dataDir)
    await Promise.all(names.filter((name) => tempPattern.test(name)).map((name) => rm(path.join(this.dataDir, name), { force: true })))
  }
}

export function faceModel(dataDir: string): FaceModelStore {
  return new FaceModelStore(dataDir)
}
