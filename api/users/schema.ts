import { z } from 'zod'

export const PhotoSchema = z.object({
  name: z.string(),
  url: z.string(),
})

export const PersonSchema = z.object({
  name: z.string(),
  photoCount: z.number().int().nonnegative(),
  photos: z.array(PhotoSchema),
})

export const PeopleResponseSchema = z.object({ users: z.array(PersonSchema) })

export type Photo = z.infer<typeof PhotoSchema>
export type Person = z.infer<typeof PersonSchema>
export type PeopleResponse = z.infer<typeof PeopleResponseSchema>
