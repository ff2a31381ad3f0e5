import { describe, expect, it } from 'vitest'
import { nameKey, PersonNameSchema } from './names.js'

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
})
