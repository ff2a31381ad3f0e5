// DATA_DIR/.uploads: files received, and photos on their way into or out of a person's folder, as temp
// files named after the process writing them, so that a sweep can tell a dead writer's from a live one's.
import { createHash, randomBytes } from 'node:crypto'
import { mkdir, readdir, rm, stat } from 'node:fs/promises'
import { hostname } from 'node:os'
import path from 'node:path'
import { resolveInside } from '../safe-path.js'

const uploadsPath = (dataDir: string) => resolveInside(dataDir, '.uploads')

/**
 * DATA_DIR/.uploads, made if missing: files received, and photos on their way into or out of a
 * person's folder. On the same disk as those folders, so that one rename puts a photo in place.
 */
export async function uploadsFolder(dataDir: string): Promise<string> {
  const folder = uploadsPath(dataDir)
  await mkdir(folder, { recursive: true })
  return folder
}

// A temp file is named after the process writing it: `.upload-<host>-<pid>-<label>`.
const thisHost = createHash('sha256').update(hostname()).digest('hex').slice(0, 8)
const uploadTemp = /^\.upload-([0-9a-f]{8})-(\d+)-/
// No upload takes this long: a temp file this old was left by a writer on another machine that died.
const abandonedAfterMs = 10 * 60_000

/** The name of a temp file of this process in the uploads folder. */
export function uploadTempName(label = randomBytes(8).toString('hex')): string {
  return `.upload-${thisHost}-${process.pid}-${label}`
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * Removes the temp files that processes killed mid-upload left in the uploads folder (`kill -9`,
 * a power cut): those of a process of this machine that is gone, and any old one; returns how
 * many. Safe while other processes on the same data folder upload: theirs are kept. Makes the
 * folder where the data folder exists; a missing data folder is left for the first write to make.
 */
export async function removeAbandonedUploads(dataDir: string, now = Date.now()): Promise<number> {
  const folder = uploadsPath(dataDir)
  try {
    await mkdir(folder)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return 0
    if (code !== 'EEXIST') throw err
  }
  let removed = 0
  for (const name of await readdir(folder)) {
    const match = uploadTemp.exec(name)
    if (!match) continue
    const file = path.join(folder, name)
    const writerGone = match[1] === thisHost && Number(match[2]) !== process.pid && !isRunning(Number(match[2]))
    const old = await stat(file).then((info) => now - info.mtimeMs > abandonedAfterMs, () => false)
    if (writerGone || old) {
      await rm(file, { force: true })
      removed++
    }
  }
  return removed
}

/** Removing may fail as the write did (a read-only disk): the write's error is the one to report. */
export async function removeQuietly(file: string): Promise<void> {
  await rm(file, { force: true }).catch(() => {})
}

