import { createHash } from 'node:crypto'
import { cp, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url))
export const fixturesDir = path.join(repoRoot, 'tests', 'fixtures')
export const facesDir = path.join(fixturesDir, 'faces')

export interface TempDataDir {
  path: string
  remove(): Promise<void>
}

/** A fresh data folder for one test file; fixtures are copied in, never used in place. */
export async function createTempDataDir(): Promise<TempDataDir> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'facer-test-'))
  return { path: dir, remove: () => rm(dir, { recursive: true, force: true }) }
}

/** Copies fixture photos (paths relative to fixtures/faces) into DATA_DIR/users/<person>/. */
export async function addFixturePhotos(dataDir: string, person: string, photos: string[]): Promise<void> {
  const folder = path.join(dataDir, 'users', person)
  await mkdir(folder, { recursive: true })
  for (const [index, photo] of photos.entries()) {
    await cp(path.join(facesDir, photo), path.join(folder, `photo-${index + 1}.jpg`))
  }
}

/** Every file under a folder, as sorted relative paths: for asserting what is on disk. */
export async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => [])
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)))
    .sort()
}

/**
 * Every file and folder under `dir`, hidden ones too, with a hash of each file's bytes: equal
 * snapshots mean nothing on disk changed.
 */
export async function snapshotDir(dir: string): Promise<Record<string, string>> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true })
  const state: Record<string, string> = {}
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const file = path.join(entry.parentPath, entry.name)
    state[path.relative(dir, file)] = entry.isDirectory() ? 'folder' : createHash('sha256').update(await readFile(file)).digest('hex')
  }
  return state
}
