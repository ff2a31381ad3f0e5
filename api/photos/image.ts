import sharp from 'sharp'
import { enhancedCopy, enrollDefaults, locateFace, type FaceSearch } from '../../shared/face/enroll.js'
import type { Box } from '../../shared/face/model.js'
import { HttpError } from '../errors.js'
import { maxInputPixels, storedHeight, storedWidth } from '../../shared/photos/limits.js'

const acceptedFormats = new Set(['jpeg', 'png', 'webp', 'heif'])

/**
 * face-api and TensorFlow.js, the same runtime as `npm run train`, loaded with the first upload rather
 * than at start-up: a worker that never receives a photo does not hold them (bench/framing.ts measures).
 */
const nodeFace = () => import('../faces/node-runtime.js')

/** A stored photo made from an upload, and how it was made, in words for the person. */
export interface PreparedPhoto {
  bytes: Buffer
  framing: string
  /** The name of the file it came from, where there was one: part of its stored name. */
  uploadedAs?: string
}

/** The face is looked for on a copy at most this large: SSD reads 512x512, so more only costs time. */
const searchSide = 1024
/** Pictures are worked on at most this large: a frame never needs more, and 50 MP of raw pixels is 150 MB. */
const workingSide = 4096
/**
 * The face box's height as a share of the frame's. Room for the detectors on the stored photo:
 * SSD finds a face from the head and shoulders around it, and the landmark and descriptor networks
 * read boxes a little larger than the face. Faces come out about 110 px high.
 */
const faceShare = 0.45

interface Picture {
  data: Buffer
  width: number
  height: number
}

const black = { r: 0, g: 0, b: 0 }
const rawOf = (picture: Picture) => ({ raw: { width: picture.width, height: picture.height, channels: 3 as const } })

/**
 * The region of the picture to store around a face: the stored photo's shape, the face at `faceShare`
 * of its height, moved to lie inside the picture, never smaller than the stored photo (the face is
 * not enlarged). Null when the picture is no larger than the stored photo: it is stored whole.
 */
export function faceFrame(face: Box, picture: { width: number; height: number }): Box | null {
  const aspect = storedWidth / storedHeight
  const fits = Math.min(picture.height, picture.width / aspect)
  if (fits <= storedHeight) return null
  const height = Math.min(fits, Math.max(storedHeight, face.height / faceShare, face.width / faceShare / aspect))
  const width = height * aspect
  const clamp = (value: number, max: number) => Math.min(Math.max(0, value), max)
  const x = clamp(face.x + face.width / 2 - width / 2, picture.width - width)
  const y = clamp(face.y + face.height / 2 - height / 2, picture.height - height)
  const left = Math.round(x)
  const top = Math.round(y)
  return { x: left, y: top, width: Math.min(picture.width - left, Math.round(width)), height: Math.min(picture.height - top, Math.round(height)) }
}

/** Looks for the one face of the picture on a reduced copy, with enrollment's detector and retries. */
async function searchFace(picture: Picture): Promise<FaceSearch> {
  const { decodePhoto, nodeFaceRuntime } = await nodeFace()
  const runtime = await nodeFaceRuntime()
  const scale = Math.min(1, searchSide / Math.max(picture.width, picture.height))
  const copy = await sharp(picture.data, rawOf(picture))
    .resize(Math.round(picture.width * scale), Math.round(picture.height * scale), { fit: 'fill' })
    .raw()
    .toBuffer()
  const image = await decodePhoto(copy, { width: Math.round(picture.width * scale), height: Math.round(picture.height * scale) })
  try {
    const search = await locateFace(runtime, image)
    if (search.found !== 'one') return search
    const { box } = search
    return { ...search, box: { x: box.x / scale, y: box.y / scale, width: box.width / scale, height: box.height / scale } }
  } finally {
    image.dispose()
  }
}

/** What enrollment's first look finds in a stored photo (a JPEG): its one face, several, or none. */
async function faceCount(jpeg: Buffer): Promise<FaceSearch> {
  const { decodePhoto, nodeFaceRuntime } = await nodeFace()
  const runtime = await nodeFaceRuntime()
  const image = await decodePhoto(jpeg)
  try {
    return await locateFace(runtime, image, { ...enrollDefaults, retries: [] })
  } finally {
    image.dispose()
  }
}

async function storedJpeg(picture: Picture, region: Box | null): Promise<Buffer> {
  const pixels = sharp(picture.data, rawOf(picture))
  if (region) pixels.extract({ left: region.x, top: region.y, width: region.width, height: region.height })
  return pixels.resize(storedWidth, storedHeight, { fit: 'contain', background: black }).jpeg({ quality: 90 }).toBuffer()
}

/** The stored photo with the contrast change that found its face, so that training finds it too. */
async function enhanced(bytes: Buffer, enhance: 'clahe' | 'normalize' | 'gamma'): Promise<Buffer> {
  const { decodePhoto, nodeFaceRuntime } = await nodeFace()
  const runtime = await nodeFaceRuntime()
  const image = await decodePhoto(bytes)
  const made = await enhancedCopy(runtime, image, enhance)
  try {
    const copy = made!.copy
    const [height, width] = copy.shape
    return await sharp(Uint8Array.from(await copy.data()), { raw: { width, height, channels: 3 } }).jpeg({ quality: 90 }).toBuffer()
  } finally {
    image.dispose()
    if (made && made.copy !== image) made.copy.dispose()
  }
}

/**
 * Turns an uploaded file into the stored photo: judged by its content (sharp must decode it fully),
 * turned upright from its EXIF orientation, and saved as a 320x247 JPEG with no metadata (no GPS, no
 * camera serial).
 *
 * The face is found on the picture as uploaded, before it is reduced, and the stored photo is a
 * frame around it: a tall phone photo's face would otherwise shrink to a few dozen pixels. Where no
 * face is found at first, enrollment's retries are tried (a lower confidence, the other detector,
 * contrast-enhanced and enlarged copies); a face found only after a contrast change is stored with
 * that change. A picture with several faces, or none, is stored whole, fitted inside 320x247 with
 * black padding (a cover crop could cut off a chin).
 */
export async function preparePhoto(input: Buffer, label: string): Promise<PreparedPhoto> {
  const notAnImage = () =>
    new HttpError(415, 'not_an_image', `${label} is not an image we can read (use JPEG, PNG or WebP)`)
  let format: string | undefined
  try {
    format = (await sharp(input, { limitInputPixels: maxInputPixels }).metadata()).format
  } catch (err) {
    if (/pixel limit/i.test((err as Error).message)) throw tooManyPixels(label)
    throw notAnImage()
  }
  if (!format || !acceptedFormats.has(format)) throw notAnImage()
  let picture: Picture
  try {
    const { data, info } = await sharp(input, { limitInputPixels: maxInputPixels, failOn: 'error' })
      .rotate()
      .resize(workingSide, workingSide, { fit: 'inside', withoutEnlargement: true })
      .flatten({ background: black })
      .toColourspace('srgb')
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true })
    picture = { data, width: info.width, height: info.height }
  } catch (err) {
    if (/pixel limit/i.test((err as Error).message)) throw tooManyPixels(label)
    throw notAnImage()
  }

  const search = await searchFace(picture)
  if (search.found === 'several') {
    return { bytes: await storedJpeg(picture, null), framing: `Stored whole: ${search.count} faces of similar size were found in the picture` }
  }
  if (search.found === 'none') return { bytes: await storedJpeg(picture, null), framing: 'Stored whole: no face was found in the picture' }
  // A face found only at a lower confidence, or by the weaker detector, may be a stray hit: a frame
  // around it could cut the real face off. The whole picture is kept, and training judges it as before.
  const { retry } = search
  if (retry && (retry.minConfidence < enrollDefaults.minConfidence || retry.detector !== enrollDefaults.detector)) {
    return { bytes: await storedJpeg(picture, null), framing: `Stored whole: a face was found only on a weaker look (${retry.note.charAt(0).toLowerCase()}${retry.note.slice(1)})` }
  }
  const region = faceFrame(search.box, picture)
  const side = Math.round(Math.min(search.box.width, search.box.height))
  const framing = region
    ? `Framed around the face (${side} px across in the ${picture.width}x${picture.height} picture)`
    : 'Stored whole: the picture is no larger than a stored photo'
  const bytes = await storedJpeg(picture, region)
  // The detector sees a frame's faces larger than the whole picture's: a neighbour it missed there may
  // stand beside the face here, and training would refuse the photo for it. Such a picture is kept whole.
  const framed = region ? await faceCount(bytes) : undefined
  if (framed?.found === 'several') {
    return { bytes: await storedJpeg(picture, null), framing: `Stored whole: ${framed.count} faces of similar size were found around the face` }
  }
  const enhance = search.retry?.enhance
  if (enhance && enhance !== 'upscale') {
    return { bytes: await enhanced(bytes, enhance), framing: `${framing}. ${search.retry!.note}; stored so` }
  }
  return { bytes, framing: search.retry ? `${framing}. ${search.retry.note}` : framing }
}

/** The stored photo made from an upload (see `preparePhoto`). */
export async function normalizePhoto(input: Buffer, label: string): Promise<Buffer> {
  return (await preparePhoto(input, label)).bytes
}

function tooManyPixels(label: string): HttpError {
  return new HttpError(413, 'image_too_large', `${label} has too many pixels (at most ${maxInputPixels / 1_000_000} megapixels)`)
}
