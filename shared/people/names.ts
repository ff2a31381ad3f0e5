import { z } from '../zod.js'

export const maxNameLength = 64
/** The longest file name ext4, XFS, Btrfs and tmpfs allow, in bytes: a name is also a folder's name. */
export const maxNameBytes = 255

// Letters of any script (with their combining marks), digits, spaces, and . - ' _
const allowedCharacters = /^[\p{L}\p{M}\p{N} ._'-]+$/u

// Characters that show as nothing, so "Ada" and "Ada" with one of them look the same: Unicode's
// Default_Ignorable_Code_Point (joiners, variation selectors, tags...) and the Hangul fillers,
// which are letters drawn blank; they are named as well, as Unicode may take them out of that property.
const invisibleCharacter = /[\p{Default_Ignorable_Code_Point}\u115F\u1160\u3164\uFFA0]/u

const utf8 = new TextEncoder()

const typedName = z
  .string({ error: 'A name is required' })
  .transform((name) => name.normalize('NFC').trim())

const safeName = z
  .string()
  .min(1, 'Enter a name')
  .max(maxNameLength, `A name can be at most ${maxNameLength} characters`)
  .regex(allowedCharacters, "Use only letters, digits, spaces and . - ' _")
  .refine((name) => !name.startsWith('.'), 'A name cannot start with a dot')
  .refine((name) => /[\p{L}\p{N}]/u.test(name), 'A name needs at least one letter or digit')

/**
 * A person's name, which is also their folder under DATA_DIR/users: trimmed, stored in NFC as
 * typed, 1–64 characters from an allow-list, so it can never be a path, a hidden file or a
 * control character, with no invisible character, and short enough to be a file name.
 * The same rules run in the browser for inline messages.
 */
export const PersonNameSchema = typedName.pipe(
  safeName
    .refine((name) => !invisibleCharacter.test(name), 'A name cannot contain invisible characters (zero-width spaces, joiners, variation selectors, fillers)')
    .refine(
      (name) => utf8.encode(name).length <= maxNameBytes,
      `A name can be at most ${maxNameBytes} bytes in UTF-8, the limit for a folder name: letters from outside the common scripts take 4 bytes each`,
    ),
)

/**
 * The `:name` of a route, which names someone already registered: held to the rules that keep it
 * a plain folder name, not to those added later for new names, so that a person registered
 * before invisible characters were refused can still be renamed or deleted.
 */
export const PersonNameParamSchema = typedName.pipe(safeName)

/**
 * Names are unique in this form: NFKC folds compatibility lookalikes (full-width letters,
 * ligatures, superscripts) into their plain letters, and upper then lower case is a full case
 * fold, which lower case alone is not ("Straße" and "STRASSE" are the same person).
 */
export function nameKey(name: string): string {
  return name.normalize('NFKC').toUpperCase().toLowerCase().normalize('NFKC')
}
