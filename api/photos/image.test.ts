import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import { clipFrame } from '../../tests/support/video.js'
import { preparePhoto } from './image.js'

describe('preparePhoto on camera frames', () => {
  // Frame 272 of the clip, the last scene's: the detector finds one face on the whole 640x360 frame, and two side by
  // side on the frame around it, which training reads (it refused such a photo for "2 faces").
  it('keeps a frame whole when the frame around its face shows a second face of similar size', async () => {
    const prepared = await preparePhoto(clipFrame(272), 'frame 272')
    expect(prepared.framing).toBe('Stored whole: 2 faces of similar size were found around the face')
    const stored = await sharp(prepared.bytes).metadata()
    expect([stored.width, stored.height]).toEqual([320, 247])
  })

  it('still frames a frame whose face stands alone', async () => {
    const prepared = await preparePhoto(clipFrame(274), 'frame 274')
    expect(prepared.framing).toMatch(/^Framed around the face \(\d+ px across in the 640x360 picture\)$/)
  })
})
