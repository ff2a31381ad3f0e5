import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto'

/**
 * A password stored as `scrypt$N$r$p$salt$hash` (salt and hash in base64url): the output of
 * `npm run hash-password`, for ADMIN_PASSWORD_HASH and VIEWER_PASSWORD_HASH.
 */
export interface PasswordHash {
  N: number
  r: number
  p: number
  salt: Buffer
  hash: Buffer
}

// One of OWASP's equivalent scrypt minimums: 32 MB per check rather than 2^17's 128 MB, so that
// a burst of logins does not exhaust a small server's memory.
const defaultCost = { N: 2 ** 15, r: 8, p: 3 }
const hashBytes = 32
const saltBytes = 16

const hashPattern = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([\w-]{16,})\$([\w-]{16,})$/

function derive(password: string, salt: Buffer, { N, r, p }: Omit<PasswordHash, 'salt' | 'hash'>, length: number): Promise<Buffer> {
  // scrypt needs 128·N·r bytes; Node's default ceiling of 32 MB is below the default cost.
  const options: ScryptOptions = { N, r, p, maxmem: 256 * N * r }
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, length, options, (err, key) => (err ? reject(err) : resolve(key)))
  })
}

export function formatPasswordHash({ N, r, p, salt, hash }: PasswordHash): string {
  return ['scrypt', N, r, p, salt.toString('base64url'), hash.toString('base64url')].join('$')
}

/** The stored form, or undefined when `text` is not one (or asks for a cost no server should pay). */
export function parsePasswordHash(text: string): PasswordHash | undefined {
  const match = hashPattern.exec(text.trim())
  if (!match) return undefined
  const [, n, r, p, salt, hash] = match as unknown as [string, string, string, string, string, string]
  const cost = { N: Number(n), r: Number(r), p: Number(p) }
  const powerOfTwo = cost.N > 1 && (cost.N & (cost.N - 1)) === 0
  if (!powerOfTwo || cost.N > 2 ** 20 || cost.r < 1 || cost.r > 32 || cost.p < 1 || cost.p > 16) return undefined
  return { ...cost, salt: Buffer.from(salt, 'base64url'), hash: Buffer.from(hash, 'base64url') }
}

export async function hashPassword(password: string, cost = defaultCost): Promise<PasswordHash> {
  const salt = randomBytes(saltBytes)
  return { ...cost, salt, hash: await derive(password, salt, cost, hashBytes) }
}

/** Whether `password` is the one `stored` was made from; the comparison takes the same time either way. */
export async function verifyPassword(password: string, stored: PasswordHash): Promise<boolean> {
  const candidate = await derive(password, stored.salt, stored, stored.hash.length)
  return timingSafeEqual(candidate, stored.hash)
}
