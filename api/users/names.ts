import { z } from 'zod'

export const maxNameLength = 64

// Letters of any script (with their combining marks), digits, spaces, and . - ' _
const allowedCharacters = /^[\p{L}\p{M}\p{N} ._'-]+$/u

/**
 * A person's name, which is also their folder under DATA_DIR/users: trimmed, 1–64 characters
 * from an allow-list, so it can never be a path, a hidden file or a control character.
 * The same rules run in the browser for inline messages.
 */
export const PersonNameSchema = z
  .string({ error: 'A name is required' })
  .transform((name) => name.normalize('NFC').trim())
  .pipe(
    z
      .string()
      .min(1, 'Enter a name')
      .max(maxNameLength, `A name can be at most ${maxNameLength} characters`)
      .regex(allowedCharacters, "Use only letters, digits, spaces and . - ' _")
      .refine((name) => !name.startsWith('.'), 'A name cannot start with a dot')
      .refine((name) => /[\p{L}\p{N}]/u.test(name), 'A name needs at least one letter or digit'),
  )

/** Names are unique regardless of case: "Ada" and "ada" are the same person. */
export function nameKey(name: string): string {
  return name.normalize('NFC').toLocaleLowerCase('und')
}
