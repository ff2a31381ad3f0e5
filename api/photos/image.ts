import sharp from 'sharp'
import { HttpError } from '../errors.js'
import { maxInputPixels, storedHeight, storedWidth } from '../../shared/photos/limits.js'

const acceptedFormats = new Set(['jpeg', 'png', 'webp', 'heif'])

/**
 * Turns an uploaded file into the stored photo: judged by its content (sharp must decode it
 * fully), turned upright from its EXIF orientation, fitted inside 320x247 without stretching,
 * and saved as a JPEG with no metadata (no GPS, no camera serial).
 *
 * Fit inside, padded, rather than cover-cropped: a crop can cut off the chin or forehead of a
 * face that fills a portrait photo, while padding only costs some resolution, and a face still
 * gets more pixels than the 150x150 that the descriptor network reads.
 */
export async function normalisePhoto(input: Buffer, label: string): Promise<Buffer> {
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
  try {
    return await sharp(input, { limitInputPixels: maxInputPixels, failOn: 'error' })
      .rotate()
      .resize(storedWidth, storedHeight, { fit: 'contain', background: { r: 0, g: 0, b: 0 } })
      .flatten({ background: { r: 0, g: 0, b: 0 } })
      .jpeg({ quality: 90 })
      .toBuffer()
  } catch (err) {
    if (/pixel limit/i.test((err as Error).message)) throw tooManyPixels(label)
    throw notAnImage()
  }
}

function tooManyPixels(label: string): HttpError {
  return new HttpError(413, 'image_too_large', `${label} has too many pixels (at most ${maxInputPixels / 1_000_000} megapixels)`)
}
