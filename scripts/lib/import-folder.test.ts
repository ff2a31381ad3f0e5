import { execFile } from 'node:child_process'
import { cp, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { storedHeight, storedWidth } from '../../shared/photos/limits.js'
import { createTempDataDir, facesDir, repoRoot, type TempDataDir } from '../../tests/support/data.js'
import { importFolder } from './import-folder.js'

const run = promisify(execFile)
const fixture = (photo: string) => path.join(facesDir, photo)

// A reference-app data folder made of fixture photos, named as phones and that app name them.
describe('importing a data folder (npm run import)', () => {
  let source: string
  let data: TempDataDir

  beforeAll(async () => {
    source = await mkdtemp(path.join(os.tmpdir(), 'facer-import-'))
    const users = path.join(source, 'users')
    for (const folder of ['barack_obama', 'joe_biden', 'nobody_yet', 'bad<name>', '.trash']) await mkdir(path.join(users, folder), { recursive: true })
    await cp(fixture('people/barack_obama/obama.jpg'), path.join(users, 'barack_obama', 'IMG_1534.JPG_1547360372630.JPG'))
    await sharp(fixture('people/barack_obama/obama2.jpg')).png().toFile(path.join(users, 'barack_obama', 'IMG_1535.png'))
    await writeFile(path.join(users, 'barack_obama', 'notes.txt'), 'not a photo')
    await cp(fixture('people/joe_biden/biden.jpg'), path.join(users, 'joe_biden', 'IMG_0001.JPG'))
    await cp(fixture('people/joe_biden/biden2.jpg'), path.join(users, 'bad<name>', 'photo.jpg'))
    await cp(fixture('people/joe_biden/biden2.jpg'), path.join(users, '.trash', 'photo.jpg'))
    const descriptor = Object.fromEntries(Array.from({ length: 128 }, (_, index) => [String(index), 0.01 * (index % 7)]))
    await writeFile(path.join(source, 'faces.json'), JSON.stringify([{ user: 'barack_obama', descriptors: [{ path: 'IMG_1534.JPG_1547360372630.JPG', descriptor }] }]))
    data = await createTempDataDir()
  }, 60_000)
  afterAll(async () => {
    await rm(source, { recursive: true, force: true })
    await data.remove()
  })

  it('takes every photo through the upload pipeline, refuses the rest and says why', async () => {
    const report = await importFolder(source, data.path)

    expect(report.people.map(({ name, created, took }) => ({ name, created, files: took.map((photo) => photo.file) }))).toEqual([
      { name: 'barack_obama', created: true, files: ['users/barack_obama/IMG_1534.JPG_1547360372630.JPG', 'users/barack_obama/IMG_1535.png'] },
      { name: 'joe_biden', created: true, files: ['users/joe_biden/IMG_0001.JPG'] },
    ])
    // The tall photo is framed around its face, as an upload is.
    expect(report.people[1]!.took[0]!.framing).toMatch(/^Framed around the face \(\d+ px across in the 970x2204 picture\)$/)
    expect(report.refused).toEqual([
      { file: 'users/bad<name>', reason: expect.stringContaining("not a name this app takes: Use only letters, digits, spaces and . - ' _") },
      { file: 'users/barack_obama/notes.txt', reason: '"notes.txt" is not an image we can read (use JPEG, PNG or WebP)' },
      { file: 'users/nobody_yet', reason: 'no photo in it could be read: nobody registered' },
    ])
    expect(report.model).toMatch(/^faces\.json: read, 1 people with 1 descriptors; not copied/)

    expect((await readdir(path.join(data.path, 'users'))).sort()).toEqual(['barack_obama', 'joe_biden'])
    const stored = await readdir(path.join(data.path, 'users', 'barack_obama'))
    expect(stored).toHaveLength(2)
    for (const name of stored) {
      expect(name).toMatch(/\.jpg$/)
      expect(await sharp(path.join(data.path, 'users', 'barack_obama', name)).metadata()).toMatchObject({ format: 'jpeg', width: storedWidth, height: storedHeight })
    }
  }, 120_000)

  it('adds to people already registered, and prints what it took and refused', async () => {
    const { stdout } = await run(path.join(repoRoot, 'node_modules/.bin/tsx'), [path.join(repoRoot, 'scripts/import.ts'), source], {
      cwd: repoRoot,
      env: { ...process.env, DATA_DIR: data.path },
      timeout: 120_000,
    })
    expect(stdout).toContain('Took 3 photos of 2 people:')
    expect(stdout).toContain('  barack_obama (already registered: photos added): 2 photos')
    expect(stdout).toContain('Refused 3:')
    expect(stdout).toContain('  users/barack_obama/notes.txt: "notes.txt" is not an image we can read')
    expect(await readdir(path.join(data.path, 'users', 'barack_obama'))).toHaveLength(4)
  }, 120_000)

  it('refuses a folder that is not a data folder, and says how to use it', async () => {
    await expect(importFolder(path.join(source, 'users'), data.path)).rejects.toThrow('has no users/ folder')
    await expect(run(path.join(repoRoot, 'node_modules/.bin/tsx'), [path.join(repoRoot, 'scripts/import.ts')], { cwd: repoRoot })).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining('usage: npm run import -- <folder>'),
    })
  }, 60_000)
})
