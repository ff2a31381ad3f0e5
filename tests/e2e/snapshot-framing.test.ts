import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type { Page } from 'playwright-core'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { UploadResponse } from '../../api/photos/schema.js'
import type { FaceModel } from '../../shared/face/model.js'
import { launchBrowser, type RunningBrowser } from '../support/browser.js'
import { createTempDataDir, type TempDataDir } from '../support/data.js'
import { startServer, type RunningServer } from '../support/server.js'
import { fakeCameraVideo } from '../support/video.js'

const person = 'lin_manuel_miranda'
/** Snapshots whose face is at least this large must be usable: what a webcam frame gives. */
const minimumFace = 48
const wanted = 3

// Camera snapshots from the fixture clip (the fake camera) through the production server and the page's
// own one-by-one training: each is the camera's whole frame, framed around its face by the server.
describe('camera snapshots in Chromium', () => {
  let data: TempDataDir
  let scratch: string
  let server: RunningServer
  let browser: RunningBrowser
  let page: Page

  beforeAll(async () => {
    data = await createTempDataDir()
    scratch = await mkdtemp(path.join(os.tmpdir(), 'facer-e2e-'))
    server = await startServer({ DATA_DIR: data.path })
    browser = await launchBrowser({ fakeVideo: fakeCameraVideo(scratch) })
    page = await browser.context.newPage()
    expect((await fetch(`${server.url}/api/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: person }) })).status).toBe(201)
  })
  afterAll(async () => {
    await browser?.close()
    await server?.stop()
    await data?.remove()
    await rm(scratch, { recursive: true, force: true })
  })

  it(`accepts every snapshot whose face is ${minimumFace} px or more, stored framed at 320x247`, async () => {
    await page.goto(`${server.url}/people/${person}`)
    await page.getByTestId('tab-camera').click()
    await page.getByTestId('camera-start').click()
    await expect.poll(() => page.getByTestId('camera').getAttribute('data-status')).toBe('live')

    const framed: { photo: string; face: number; framing: string }[] = []
    // The clip shows Lin's face in most frames, not all: snapshots are taken until enough show it.
    for (let snapshot = 0; snapshot < 10 && framed.length < wanted; snapshot++) {
      const uploaded = page.waitForResponse((res) => res.request().method() === 'POST' && res.url().endsWith(`/api/users/${person}/photos`))
      await page.getByTestId('camera-snap').click()
      const response = (await (await uploaded).json()) as UploadResponse
      const [photo] = response.photos
      // Trained in the page right away: wait for its verdict before the next snapshot.
      await expect.poll(() => page.getByTestId('camera-result').textContent(), { timeout: 60_000 }).toMatch(/^Photo added · (?!training)/)
      const stored = await sharp(path.join(data.path, 'users', person, photo!.name)).metadata()
      expect([stored.width, stored.height]).toEqual([320, 247])
      const face = Number(/^Framed around the face \((\d+) px across in the (\d+)x(\d+) picture\)/.exec(photo!.framing)?.[1] ?? 0)
      if (face >= minimumFace) framed.push({ photo: photo!.name, face, framing: photo!.framing })
    }
    expect(framed.length, 'snapshots with a face of 48 px or more').toBe(wanted)

    const model = (await (await fetch(`${server.url}/api/faces`)).json()) as FaceModel
    const own = model.people.find((entry) => entry.name === person)
    const usable = new Set(own?.descriptors.map((entry) => entry.photo))
    for (const { photo, framing } of framed) {
      const rejected = own?.rejected.find((entry) => entry.photo === photo)
      expect(usable.has(photo), `${framing}: ${rejected?.detail ?? ''}`).toBe(true)
    }
  }, 300_000)
})
