import { randomBytes } from 'node:crypto'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { readFile, readlink, rename, rm, stat } from 'node:fs/promises'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { HttpError } from '../errors.js'
import { log } from '../logging.js'

// The lock on faces.json that every process writing a data folder respects. proper-lockfile, used
// before, calls a lock stale once its holder has not touched it for 10 s, and a holder whose event
// loop is busy cannot touch it: a worker kept busy for 20 s by one request had its lock taken, both
// wrote, and the writes acknowledged in between were lost. Every process writing a data folder runs
// on one host, in one PID namespace (PM2's workers, `npm run train`, `docker exec` into the same
// container), so this lock names its owner's process and is broken only once that process is gone,
// however long the owner holds it.

const ownerFile = 'owner.json'

/** A lock folder without an owner this old was left by a crash, or by proper-lockfile, whose holders touch it every 5 s. */
const ownerlessStaleMs = 10_000

/**
 * A lock taken in another PID namespace (a container since restarted, or one sharing the folder
 * with this host) names a pid that means nothing here: it is broken only at this age, far beyond
 * any write (seconds at 100,000 descriptors).
 */
const foreignStaleMs = 60_000

/** About 40 s of waiting for a lock held by a live process, then a 503. */
const lockAttempts = 200

/** Where a process runs, on Linux: the boot and the PID namespace; null where there is no /proc (macOS). */
interface Place {
  boot: string | null
  namespace: string | null
}

interface Owner extends Place {
  pid: number
  /** When the process started (startOf): a pid is used again once its process is gone, its start is not. */
  start: string | null
  token: string
}

export interface ModelLock {
  /** Throws a 503 unless the lock is still this one: called just before a write is committed. */
  assertHeld(): Promise<void>
  release(): Promise<void>
}

async function thisPlace(): Promise<Place> {
  const [boot, namespace] = await Promise.all([
    readFile('/proc/sys/kernel/random/boot_id', 'utf8').then((text) => text.trim(), () => null),
    readlink('/proc/self/ns/pid').catch(() => null),
  ])
  return { boot, namespace }
}

/** A process's start time in clock ticks since boot; 'exited' for a zombie; null where there is no /proc. */
async function startOf(pid: number): Promise<string | null> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8')
    // The process name, in parentheses, may hold spaces: count the fields after it. State is field 3, start time field 22.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return fields[0] === 'Z' ? 'exited' : (fields[19] ?? null)
  } catch {
    return null
  }
}

let own: Promise<Place & { start: string | null }> | undefined

/** For a lock of this PID namespace: whether its process is still there. */
async function isAlive(owner: Owner): Promise<boolean> {
  try {
    process.kill(owner.pid, 0)
  } catch (err) {
    // EPERM: the process is there, run by another user.
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false
  }
  if (owner.start === null) return true
  const start = await startOf(owner.pid)
  return start === null || start === owner.start
}

/** Whether the lock folder is there and older than `ms`. One that is gone is not old: it may be a new lock by now. */
const olderThan = async (dir: string, ms: number) => {
  const info = await stat(dir).catch(() => null)
  return info !== null && info.mtimeMs < Date.now() - ms
}

async function isAbandoned(dir: string, owner: Owner | 'none'): Promise<boolean> {
  if (owner === 'none') return olderThan(dir, ownerlessStaleMs)
  const here = await own!
  if (owner.boot !== here.boot) return true
  if (owner.namespace !== here.namespace) return olderThan(dir, foreignStaleMs)
  return !(await isAlive(owner))
}

function parseOwner(text: string): Owner | undefined {
  try {
    const owner = JSON.parse(text) as Partial<Owner>
    const optional = (value: unknown) => value === null || typeof value === 'string'
    const valid =
      Number.isInteger(owner.pid) && owner.pid! > 0 && typeof owner.token === 'string' && optional(owner.boot) && optional(owner.namespace) && optional(owner.start)
    return valid ? (owner as Owner) : undefined
  } catch {
    return undefined
  }
}

/** The lock's owner; 'none' for a lock folder without a readable owner, 'gone' when there is no lock. */
async function readOwner(dir: string): Promise<Owner | 'none' | 'gone'> {
  try {
    return parseOwner(await readFile(path.join(dir, ownerFile), 'utf8')) ?? 'none'
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code !== 'ENOENT' && code !== 'ENOTDIR') throw err
    return (await stat(dir).catch(() => null)) ? 'none' : 'gone'
  }
}

const sameOwner = (a: Owner | 'none' | 'gone', b: Owner | 'none') => (typeof a === 'string' || typeof b === 'string' ? a === b : a.token === b.token)

/**
 * mkdir makes the lock, or fails when it is there. The owner is written in the same turn of the
 * event loop, synchronously: however busy this process gets, no lock of it is ever seen without its
 * owner for longer than two system calls.
 */
function tryCreate(dir: string, owner: Owner): boolean {
  try {
    mkdirSync(dir)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw err
  }
  try {
    writeFileSync(path.join(dir, ownerFile), JSON.stringify(owner))
  } catch (err) {
    rmSync(dir, { recursive: true, force: true })
    throw err
  }
  return true
}

/** Removes the lock if its owner is gone; resolves with whether it is worth trying again at once. */
async function breakAbandoned(dir: string): Promise<boolean> {
  const owner = await readOwner(dir)
  if (owner === 'gone') return true
  if (!(await isAbandoned(dir, owner))) return false
  // Moved aside before it is removed: of two processes that found the owner gone, one moves it; the
  // other, if it moved the newer lock of a third, puts that back.
  const aside = `${dir}.${randomBytes(6).toString('hex')}.stale`
  try {
    await rename(dir, aside)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return true
    throw err
  }
  const moved = await readOwner(aside)
  if (!sameOwner(moved, owner)) {
    // A new lock is there by now: the one moved aside is lost, and its holder finds so before it writes.
    const putBack = await rename(aside, dir).then(() => true, () => false)
    if (putBack) return false
  } else {
    log('warn', 'broke an abandoned face model lock', { lock: dir, owner })
  }
  await rm(aside, { recursive: true, force: true })
  return true
}

/**
 * Takes the lock on `file`, waiting while a live process holds it (up to about 40 s, then 503).
 * Any other failure (a read-only or full disk) is not worth waiting for: it is thrown at once.
 */
export async function lockModel(file: string, { onWait }: { onWait?: (attempt: number) => void } = {}): Promise<ModelLock> {
  const dir = `${file}.lock`
  own ??= Promise.all([thisPlace(), startOf(process.pid)]).then(([place, start]) => ({ ...place, start }))
  const owner: Owner = { pid: process.pid, ...(await own), token: randomBytes(12).toString('hex') }
  for (let attempt = 0; !tryCreate(dir, owner); attempt++) {
    if (await breakAbandoned(dir)) continue
    if (attempt >= lockAttempts) {
      throw new HttpError(503, 'model_busy', 'The face model is being saved by someone else; try again in a moment')
    }
    // Told each time the lock was found held and not abandoned: how a caller (a test) knows it waited.
    onWait?.(attempt + 1)
    await sleep(Math.min(10 * 1.2 ** attempt, 200) * (1 + Math.random()))
  }
  const isMine = async () => sameOwner(await readOwner(dir), owner)
  return {
    async assertHeld() {
      if (!(await isMine())) {
        throw new HttpError(503, 'model_lock_lost', 'The face model’s lock was taken while this change was being saved: nothing was saved. Try again')
      }
    },
    async release() {
      if (await isMine()) await rm(dir, { recursive: true, force: true })
    },
  }
}
