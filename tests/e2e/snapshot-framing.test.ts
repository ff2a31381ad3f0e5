import path from 'node:path'
import sharp from 'sharp'
import { beforeAll, describe, expect, it } from 'vitest'
import type { UploadResponse } from '../../api/photos/schema.js'
import type { FaceModel } from '../../shared/face/model.js'
import { useApp } from '../support/app.js'
import { register } from '../support/people.js'
import { fakeCameraVideo, linOnStage } from '../support/video.js'

const person = 'lin_manuel_miranda'
/** Snapshots whose face is at least this large must be usable: what a webcam frame gives. */
const minimumFace = 48
const wanted = 3

// Camera snapshots from the fixture clip (the fake camera) through the production server and the page's
// own one-by-one training: each is the camera's whole frame, framed around its face by the server. The
// camera plays only the stretch with Lin on stage: on the whole clip, which snapshots show a face
// depends on how fast the machine takes them.
describe('camera snapshots in Chromium', () => {
  const app = useApp({ camera: (scratch) => fakeCameraVideo(scratch, 15, linOnStage) })

  beforeAll(async () => {
    await register(app.server.url, person)
  })

  it(`accepts every snapshot whose face is ${minimumFace} px or more, stored framed at 320x247`, async () => {
    await app.page.goto(`${app.server.url}/people/${person}`)
    await app.page.getByTestId('tab-camera').click()
    await app.page.getByTestId('camera-start').click()
    await expect.poll(() => app.page.getByTestId('camera').getAttribute('data-status')).toBe('live')

    const framed: { photo: string; face: number; framing: string }[] = []
    /** What the server said of each snapshot, for the failure message. */
    const framings: string[] = []
    // Lin's face may be turned away or blurred in some frames: snapshots are taken until enough show it.
    for (let snapshot = 0; snapshot < 10 && framed.length < wanted; snapshot++) {
      const uploaded = app.page.waitForResponse((res) => res.request().method() === 'POST' && res.url().endsWith(`/api/people/${person}/photos`))
      await app.page.getByTestId('camera-snap').click()
      const response = (await (await uploaded).json()) as UploadResponse
      const [photo] = response.photos
      // Trained in the page right away: wait for its verdict before the next snapshot.
      await expect.poll(() => app.page.getByTestId('camera-result').textContent(), { timeout: 60_000 }).toMatch(/^Photo added · (?!training)/)
      const stored = await sharp(path.join(app.data.path, 'users', person, photo!.name)).metadata()
      expect([stored.width, stored.height]).toEqual([320, 247])
      framings.push(photo!.framing)
      const face = Number(/^Framed around the face \((\d+) px across in the (\d+)x(\d+) picture\)/.exec(photo!.framing)?.[1] ?? 0)
      if (face >= minimumFace) framed.push({ photo: photo!.name, face, framing: photo!.framing })
    }
    expect(framed.length, `snapshots with a face of 48 px or more; the server's framing of each: ${framings.join(' | ')}`).toBe(wanted)

    const model = (await (await fetch(`${app.server.url}/api/faces`)).json()) as FaceModel
    const own = model.people.find((entry) => entry.name === person)
    const usable = new Set(own?.descriptors.map((entry) => entry.photo))
    for (const { photo, framing } of framed) {
      const rejected = own?.rejected.find((entry) => entry.photo === photo)
      expect(usable.has(photo), `${framing}: ${rejected?.detail ?? ''}`).toBe(true)
    }
  }, 300_000)
})
