import { z } from 'zod'
import type { Person, Photo } from '../people/schema.js'

const dataUrl = /^data:image\/(jpeg|png|webp);base64,([A-Za-z0-9+/]+={0,2})$/

/** A camera snapshot sent as JSON: `{ "snapshot": "data:image/jpeg;base64,…" }`. */
export const SnapshotBodySchema = z.strictObject({
  snapshot: z
    .string({ error: 'A snapshot is required' })
    .regex(dataUrl, 'The snapshot must be a base64 data URL of a JPEG, PNG or WebP image')
    .transform((value) => Buffer.from(value.slice(value.indexOf(',') + 1), 'base64')),
})

/** Giving a photo to another person, based on the face model at `generation`. */
export const MovePhotoBodySchema = z.strictObject({
  to: z.string({ error: 'Name the person to move the photo to' }).min(1, 'Name the person to move the photo to'),
  generation: z.number({ error: 'The generation of the face model read is required' }).int().nonnegative(),
})

export type MovePhotoBody = z.infer<typeof MovePhotoBodySchema>

export interface MovePhotoResponse {
  from: Person
  to: Person
}

export type SnapshotBody = z.output<typeof SnapshotBodySchema>

/** A photo just stored, with the SHA-256 of its bytes, which one-by-one training records. */
export interface StoredPhoto extends Photo {
  hash: string
  /** How the stored photo was made from the picture (framed around its face, or stored whole, and why). */
  framing: string
}

export interface UploadResponse {
  photos: StoredPhoto[]
  person: Person
}
