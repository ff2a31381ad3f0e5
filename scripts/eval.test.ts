import { execFile } from 'node:child_process'
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { facesDir, fixturesDir, repoRoot } from '../tests/support/data.js'
import { readPhotoSet } from './lib/photo-sets.js'

const run = promisify(execFile)
const tsx = path.join(repoRoot, 'node_modules/.bin/tsx')
const evalScript = path.join(repoRoot, 'scripts/eval.ts')

// `npm run eval` on a copy of the fixture people, with the real networks: the figures are what this
// machine's WASM backend gives, and the same as `npm run eval -- tests/fixtures/faces/people`.
describe('npm run eval', () => {
  let folder: string
  let scratch: string

  beforeAll(async () => {
    scratch = await mkdtemp(path.join(os.tmpdir(), 'facer-eval-'))
    folder = path.join(scratch, 'people')
    await cp(path.join(facesDir, 'people'), folder, { recursive: true })
    await writeFile(path.join(folder, 'rose_leslie', 'notes.txt'), 'not a photo')
  })
  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true })
  })

  it('prints one JSON object with the rates, every unusable photo and its reason, and writes the ROC curve', async () => {
    const roc = path.join(scratch, 'roc.png')
    const { stdout } = await run(tsx, [evalScript, folder, '--json', '--roc', roc], { cwd: repoRoot, timeout: 120_000 })
    const result = JSON.parse(stdout)
    expect(result).toMatchObject({
      gallerySize: 3,
      people: 6,
      photos: 17,
      queries: 6,
      correctAccept: 5 / 6,
      wrongAccept: 0,
      strangerProbes: 16,
      strangerAccept: 0,
      unusablePhotos: 1,
      // Obama, Alex and Kit have 3 usable photos or more (the tall photos are framed around their faces);
      // Rose's third file is the text file, which counts as a photo that cannot be used.
      enrollmentCoverage: { minimumPhotos: 3, covered: 3, of: 4, short: [{ person: 'rose_leslie', photos: 3, usable: 2 }] },
    })
    expect(result.unusable.map(({ photo, reason }: { photo: string; reason: string }) => `${photo} ${reason}`).sort()).toEqual(['rose_leslie/notes.txt unreadable'])
    expect(result.retried).toEqual([])
    expect(await sharp(roc).metadata()).toMatchObject({ format: 'png', width: 640, height: 560 })
  }, 120_000)

  it('says how to use it when the folder is missing, and refuses a folder without people', async () => {
    await expect(run(tsx, [evalScript], { cwd: repoRoot })).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('usage: npm run eval -- <folder>') })
    await expect(run(tsx, [evalScript, path.join(folder, 'rose_leslie')], { cwd: repoRoot })).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining('holds no <person>/ folders'),
    })
  }, 60_000)

  it('reads a verification set as people joined along its "Yes" pairs', async () => {
    const photos = await readPhotoSet(path.join(fixturesDir, 'verification'))
    expect(photos).toHaveLength(61)
    expect(new Set(photos.map((photo) => photo.person)).size).toBe(13)
  })
})
