import { z } from 'zod'
import { descriptorLength, maxDescriptorValue } from '../../shared/face/descriptor.js'
import type { Decision } from '../../shared/face/match.js'
import { listOf, modelLimits, parseAnyModel, PersonModelSchema, type LookAlike } from '../../shared/face/model.js'
import { HttpError } from '../errors.js'
import { firstProblem } from '../validate.js'

const descriptors = PersonModelSchema.shape.descriptors
const rejected = PersonModelSchema.shape.rejected.unwrap()

/** Per-person training: that person's whole entry. */
export const PersonModelBodySchema = z.strictObject({ descriptors, rejected })

/** One-by-one training: results for some photos, and photos to forget. */
export const PersonModelPatchSchema = z.strictObject({
  descriptors: descriptors.default([]),
  rejected: rejected.default([]),
  remove: listOf(z.string(), modelLimits.entriesPerPerson, 'photos to remove at once').default([]),
})

/**
 * The whole model: this app's format, or the reference app's array (an import), which becomes this
 * app's format. The issues refusing it are those of the format it was given in.
 */
export const AnyModelBodySchema = z.unknown().transform((value, context) => {
  const parsed = parseAnyModel(value)
  if (parsed.success) return parsed.data
  for (const issue of parsed.error.issues) context.addIssue({ ...issue })
  return z.NEVER
})

/** Confirming a flagged photo, based on the model at `generation`. */
export const ConfirmPhotoBodySchema = z.strictObject({ generation: z.number().int().nonnegative() })

/** The most faces one match request names: more than a frame or a photo holds. */
export const maxFacesPerMatch = 32

const descriptorValue = z
  .number()
  .min(-maxDescriptorValue, `must be a face's descriptor: numbers within ±${maxDescriptorValue}`)
  .max(maxDescriptorValue, `must be a face's descriptor: numbers within ±${maxDescriptorValue}`)

/** The faces of one picture (a frame, a photo), each as its descriptor; one person goes to at most one of them. */
export const MatchBodySchema = z.strictObject({
  descriptors: z
    .array(z.array(descriptorValue).length(descriptorLength, `must be descriptors of ${descriptorLength} numbers`), 'must be a list of descriptors')
    .min(1, 'must hold at least one descriptor')
    .max(maxFacesPerMatch, `must hold at most ${maxFacesPerMatch} descriptors`),
  /** The page's match threshold (its Settings), else the app's. */
  threshold: z.number().min(0, 'must be from 0 to 2').max(2, 'must be from 0 to 2').optional(),
})

export type MatchBody = z.infer<typeof MatchBodySchema>

export interface MatchResponse {
  /** The model generation the faces were matched against. */
  generation: number
  /** One for each descriptor, in order. */
  decisions: Decision[]
}

/** A 413 when the schema refused more entries than a model holds (see modelLimits). */
export function tooLarge(error: z.ZodError): HttpError | undefined {
  const issue = error.issues[0]
  if (issue?.code !== 'too_big' || issue.origin !== 'array') return undefined
  return new HttpError(413, 'model_too_large', `The face model is too large${where(issue)}: ${issue.message}`)
}

/** Why a model, or a person's entry, was refused: a 413 when it is too large, else a 400. */
export function refusedModel(error: z.ZodError): HttpError {
  return tooLarge(error) ?? new HttpError(400, 'invalid_model', `The face model is not valid${where(error.issues[0])}: ${firstProblem(error)}`)
}

const where = (issue: z.core.$ZodIssue | undefined) => (issue?.path.length ? ` at ${issue.path.join('.')}` : '')

export type PersonModelBody = z.infer<typeof PersonModelBodySchema>
export type PersonModelPatch = z.infer<typeof PersonModelPatchSchema>

export interface PhotoHash {
  person: string
  photo: string
  hash: string
}

export type ConfirmPhotoBody = z.infer<typeof ConfirmPhotoBodySchema>

export interface ModelWriteResponse {
  generation: number
  /** After a write of one person's entry: their photos flagged as someone else's look-alike. */
  flagged?: { photo: string; lookAlike: LookAlike }[]
}
