import { describe, expect, it } from 'vitest'
import { maxNameBytes, nameKey, PersonNameParamSchema, PersonNameSchema } from './names.js'

const invisible = 'A name cannot contain invisible characters (zero-width spaces, joiners, variation selectors, fillers)'
const tooManyBytes = `A name can be at most ${maxNameBytes} bytes in UTF-8, the limit for a folder name: letters from outside the common scripts take 4 bytes each`

describe('PersonNameSchema', () => {
  it.each([
    ['Ada Lovelace', 'Ada Lovelace'],
    ['  Grace Hopper  ', 'Grace Hopper'],
    ["Miles O'Brien", "Miles O'Brien"],
    ['Jean-Luc Picard Jr.', 'Jean-Luc Picard Jr.'],
    ['Zoë', 'Zoë'],
    ['Zoe\u0308', 'Zoë'],
    ['李小龍', '李小龍'],
    ['Ольга', 'Ольга'],
    ['R2 D2', 'R2 D2'],
    ['barack_obama', 'barack_obama'],
    ['a'.repeat(64), 'a'.repeat(64)],
    // 63 letters of 4 bytes each (Deseret): 252 bytes; 64 Hangul syllables of 3 bytes: 192 bytes.
    ['\u{10400}'.repeat(63), '\u{10400}'.repeat(63)],
    ['\uD55C'.repeat(64), '\uD55C'.repeat(64)],
    // Trimmed as white space, like the spaces around a name.
    ['\uFEFFAda\uFEFF', 'Ada'],
  ])('accepts %j as %j', (input, expected) => {
    expect(PersonNameSchema.parse(input)).toBe(expected)
  })

  it.each([
    ['', 'Enter a name'],
    ['   ', 'Enter a name'],
    ['a'.repeat(65), 'A name can be at most 64 characters'],
    ['../x', "Use only letters, digits, spaces and . - ' _"],
    ['a/b', "Use only letters, digits, spaces and . - ' _"],
    ['a\\b', "Use only letters, digits, spaces and . - ' _"],
    ['/etc', "Use only letters, digits, spaces and . - ' _"],
    ['.hidden', 'A name cannot start with a dot'],
    ['..', 'A name cannot start with a dot'],
    ['bad\u0000name', "Use only letters, digits, spaces and . - ' _"],
    ['tab\tname', "Use only letters, digits, spaces and . - ' _"],
    ['new\nline', "Use only letters, digits, spaces and . - ' _"],
    ['<script>', "Use only letters, digits, spaces and . - ' _"],
    ["-'-", 'A name needs at least one letter or digit'],
    ['\u{10400}'.repeat(64), tooManyBytes],
    ['\u{20000}'.repeat(64), tooManyBytes],
    ['Ada\u034F', invisible],
    ['Ada\uFE0F', invisible],
    ['Ada\uFE00', invisible],
    ['Ada\u3164', invisible],
    ['\u3164', invisible],
    ['\u3164\u3164\u3164', invisible],
    ['\u115F\u1160', invisible],
    ['Ada\uFFA0', invisible],
    ['A\u17B4da', invisible],
    ['Ada\u{E0100}', invisible],
    ['Ada\u200B', "Use only letters, digits, spaces and . - ' _"],
    ['Ada\u200D', "Use only letters, digits, spaces and . - ' _"],
    ['Ada\u202E', "Use only letters, digits, spaces and . - ' _"],
    ['Ada\u2066', "Use only letters, digits, spaces and . - ' _"],
    ['Ada\u00AD', "Use only letters, digits, spaces and . - ' _"],
    ['A\uFEFFda', "Use only letters, digits, spaces and . - ' _"],
    ['Ada\u{E0041}', "Use only letters, digits, spaces and . - ' _"],
  ])('rejects %j: %s', (input, message) => {
    const parsed = PersonNameSchema.safeParse(input)
    expect(parsed.success).toBe(false)
    expect(parsed.error?.issues[0]?.message).toBe(message)
  })

  it('rejects a value that is not a string', () => {
    expect(PersonNameSchema.safeParse(42).error?.issues[0]?.message).toBe('A name is required')
  })

  it('compares names without case', () => {
    expect(nameKey('ADA')).toBe(nameKey('ada'))
    expect(nameKey('Zoe\u0308')).toBe(nameKey('ZOË'))
  })

  it.each([
    ['full-width letters', '\uFF21\uFF44\uFF41', 'Ada'],
    ['a ligature', '\uFB01ona', 'Fiona'],
    ['sharp s and SS', 'Stra\u00dfe', 'STRASSE'],
    ['a long s', 'Ro\u017Fa', 'ROSA'],
    ['a superscript digit', 'R\u00B2', 'r2'],
    ['Greek final and medial sigma', '\u039F\u0394\u039F\u03A3', '\u03BF\u03B4\u03BF\u03C2'],
  ])('compares names in NFKC, case-folded: %s', (_label, one, other) => {
    expect(nameKey(one)).toBe(nameKey(other))
  })

  it.each([
    ['Ada', 'Ana'],
    ['Zo\u00eb', 'Zoe'],
    ['\u674E', '\u6751'],
  ])('keeps different names apart: %j and %j', (one, other) => {
    expect(nameKey(one)).not.toBe(nameKey(other))
  })
})

describe('PersonNameParamSchema', () => {
  it('takes a name registered before invisible characters were refused, so that it can be renamed or deleted', () => {
    expect(PersonNameParamSchema.parse('Ada\u034F')).toBe('Ada\u034F')
  })

  it.each(['../x', '.hidden', '', 'a/b', 'Ada\u0000', 'a'.repeat(65)])('still refuses %j, which is no plain folder name', (input) => {
    expect(PersonNameParamSchema.safeParse(input).success).toBe(false)
  })
})
