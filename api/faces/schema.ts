import { z } from 'zod'
import { DescriptorEntrySchema, RejectedPhotoSchema } from '../../shared/face/model.js'

/** Per-person training: that person's whole entry. */
export const PersonModelBodySchema = z.strictObject({
  descriptors: z.array(DescriptorEntrySchema),
  rejected: z.array(RejectedPhotoSchema),
})

/** One-by-one training: results for some photos, and photos to forget. */
export const PersonModelPatchSchema = z.strictObject({
  descriptors: z.array(DescriptorEntrySchema).default([]),
  rejected: z.array(RejectedPhotoSchema).default([]),
  remove: z.array(z.string()).default([]),
})

export type PersonModelBody = z.infer<typeof PersonModelBodySchema>
export type PersonModelPatch = z.infer<typeof PersonModelPatchSchema>

export interface PhotoHash {
  person: string
  photo: string
  hash: string
}

export interface ModelWriteResponse {
  generation: number
}
