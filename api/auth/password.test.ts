import { describe, expect, it } from 'vitest'
import { formatPasswordHash, hashPassword, parsePasswordHash, verifyPassword } from './password.js'

// A cheap cost keeps the tests quick; the format and the check are the same at any cost.
const cheap = { N: 2 ** 10, r: 8, p: 1 }

describe('password hashes', () => {
  it('checks a password against its hash, and no other', async () => {
    const stored = await hashPassword('correct horse', cheap)
    expect(await verifyPassword('correct horse', stored)).toBe(true)
    expect(await verifyPassword('correct hors', stored)).toBe(false)
    expect(await verifyPassword('', stored)).toBe(false)
  })

  it('salts each hash', async () => {
    const [one, two] = await Promise.all([hashPassword('same', cheap), hashPassword('same', cheap)])
    expect(one.hash.equals(two.hash)).toBe(false)
  })

  it('writes scrypt$N$r$p$salt$hash and reads it back', async () => {
    const stored = await hashPassword('correct horse')
    const text = formatPasswordHash(stored)
    expect(text).toMatch(/^scrypt\$32768\$8\$3\$[\w-]{22}\$[\w-]{43}$/)
    const parsed = parsePasswordHash(text)
    expect(parsed).toEqual(stored)
    expect(await verifyPassword('correct horse', parsed!)).toBe(true)
  })

  it.each([
    'correct horse',
    'scrypt$16384$8$1$salt$hash',
    'scrypt$1000$8$1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaA',
    'scrypt$4194304$8$1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaA',
    'scrypt$16384$0$1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaA',
    'bcrypt$16384$8$1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaA',
  ])('refuses %s as a stored hash', (text) => {
    expect(parsePasswordHash(text)).toBeUndefined()
  })
})
