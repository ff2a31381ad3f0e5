import { randomBytes } from 'node:crypto'
import { mkdir, open, readdir, rename, rm } from 'node:fs/promises'
import path from 'node:path'
import { emptyModel, FaceModelSchema, parseAnyModel, withoutImplausibleDescriptors, type FaceModel } from '../../shared/face/model.js'
import { log } from '../logging.js'
import { lockModel } from './lock.js'
import { readIfPresent } from './read-if-present.js'
import { tooLarge } from '../faces/schema.js'

const modelFileName = 'faces.json'
const backupFile = 'faces.json.bak'
const tempPattern = /^faces\.json(\.bak)?\.[0-9a-f]+\.tmp$/

async function readModelFile(file: string): Promise<FaceModel | 'missing' | 'invalid'> {
  const text = await readIfPresent(file, 'utf8')
  if (text === undefined) return 'missing'
  try {
    const value: unknown = JSON.parse(text)
    let parsed = parseAnyModel(value)
    if (!parsed.success) {
      const cleaned = withoutImplausibleDescriptors(value)
      if (cleaned.dropped.length) {
        parsed = parseAnyModel(cleaned.value)
        if (parsed.success) log('warn', 'left out descriptors that no face has: their photos need training again', { file, dropped: cleaned.dropped })
      }
    }
    if (parsed.success) return parsed.data
    log('error', 'face model file does not match its schema', { file, problem: parsed.error.issues[0]?.message })
  } catch {
    log('error', 'face model file is not valid JSON', { file })
  }
  return 'invalid'
}

/** Writes `content` to a new temp file beside `name` and flushes it to disk; on failure, removes it again. */
async function writeTemp(dir: string, name: string, content: string): Promise<string> {
  const temp = path.join(dir, `${name}.${randomBytes(6).toString('hex')}.tmp`)
  try {
    const handle = await open(temp, 'wx')
    try {
      await handle.writeFile(content)
      await handle.sync()
    } finally {
      await handle.close()
    }
  } catch (err) {
    await removeQuietly(temp)
    throw err
  }
  return temp
}

/** Removing may fail for the same reason as the write did (a read-only disk): the write's error is the one to report. */
async function removeQuietly(file: string): Promise<void> {
  await rm(file, { force: true }).catch(() => {})
}

async function syncFolder(dir: string): Promise<void> {
  const folder = await open(dir, 'r')
  try {
    await folder.sync()
  } finally {
    await folder.close()
  }
}

/** The model a change saves: `changed` checked, with the generation after `current`'s. */
export function nextModel(current: FaceModel, changed: FaceModel): FaceModel {
  const next = FaceModelSchema.safeParse({
    ...changed,
    generation: current.generation + 1,
    updatedAt: new Date().toISOString(),
  })
  // Edits are made of parts already checked: only their sum can be refused, for holding more than a model may.
  if (!next.success) throw tooLarge(next.error) ?? next.error
  return next.data
}

/**
 * DATA_DIR/faces.json, shared by every worker process. Reads never fail on a damaged file (the
 * last good version, kept beside it, is served instead); writes hold a lock across processes
 * and bump the generation.
 */
export class ModelFile {
  readonly file: string
  private readonly backup: string

  constructor(private readonly dataDir: string) {
    this.file = path.join(dataDir, modelFileName)
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
    const lock = await lockModel(this.file)
    try {
      await this.removeOrphanTemps()
      const current = await this.read()
      const changed = await change(current)
      if (changed === current) return current
      const next = nextModel(current, changed)
      await this.write(JSON.stringify(next), () => lock.assertHeld())
      return next
    } finally {
      await lock.release()
    }
  }

  /** Writes `model` as it is, its generation too, under the lock: a model copied in from another store. */
  async restore(model: FaceModel): Promise<void> {
    await mkdir(this.dataDir, { recursive: true })
    const lock = await lockModel(this.file)
    try {
      await this.write(JSON.stringify(model), () => lock.assertHeld())
    } finally {
      await lock.release()
    }
  }

  /**
   * Readers see the old model or the new, never a part: both copies are written to temp files and
   * flushed before either is renamed into place, so a full disk stops the write with nothing changed.
   * The backup is always the last version written: a damaged faces.json is served from it without
   * losing that write, and the generation a client read stays the current one. `beforeCommit`
   * may refuse the write (a lock no longer held) when nothing is in place yet.
   */
  private async write(text: string, beforeCommit: () => Promise<void>): Promise<void> {
    const temps: string[] = []
    try {
      temps.push(await writeTemp(this.dataDir, modelFileName, text))
      temps.push(await writeTemp(this.dataDir, backupFile, text))
      const [model, backup] = temps as [string, string]
      await beforeCommit()
      await rename(model, this.file)
      await rename(backup, this.backup)
      await syncFolder(this.dataDir)
    } finally {
      await Promise.all(temps.map(removeQuietly))
    }
  }

  /** Temp files of a writer that was killed mid-write. Called under the lock, so none is in use. */
  private async removeOrphanTemps(): Promise<void> {
    const names = await readdir(this.dataDir)
    await Promise.all(names.filter((name) => tempPattern.test(name)).map((name) => rm(path.join(this.dataDir, name), { force: true })))
  }
}

export function modelFile(dataDir: string): ModelFile {
  return new ModelFile(dataDir)
}
