import { z } from 'zod'
import { PersonNameSchema } from '../../shared/people/names.js'

export const PhotoSchema = z.object({
  name: z.string(),
  url: z.string(),
})

export const PersonSchema = z.object({
  name: z.string(),
  photoCount: z.number().int().nonnegative(),
  photos: z.array(PhotoSchema),
})

export const PeopleResponseSchema = z.object({ people: z.array(PersonSchema) })
/** The list as /api/users, the first version's route, answers it. */
export const UsersResponseSchema = z.object({ users: z.array(PersonSchema) })

export const CreatePersonBodySchema = z.strictObject({ name: PersonNameSchema })
export const RenamePersonBodySchema = z.strictObject({ name: PersonNameSchema })

export type Photo = z.infer<typeof PhotoSchema>
export type Person = z.infer<typeof PersonSchema>
export type PeopleResponse = z.infer<typeof PeopleResponseSchema>
export type UsersResponse = z.infer<typeof UsersResponseSchema>
export type CreatePersonBody = z.infer<typeof CreatePersonBodySchema>
export type RenamePersonBody = z.infer<typeof RenamePersonBodySchema>
