import { describe, expect, it } from 'vitest'
import { formatPasswordHash, hashPassword } from '../../api/auth/password.js'
import { useApp } from '../support/app.js'
import type { RunningServer } from '../support/server.js'

const limit = 5
const rounds = 3
const password = 'the right password for two processes'
// A cheaper cost than npm run hash-password's, so that the rounds stay short; the check is as asynchronous.
const hash = formatPasswordHash(await hashPassword(password, { N: 2 ** 12, r: 8, p: 1 }))

/**
 * Two production server processes on one DATA_DIR, as PM2's workers run: failed sign-ins are
 * counted once for both, so a client cannot have the limit's guesses once per worker.
 */
describe('the sign-in limit with two server processes on one data folder', () => {
  const app = useApp({
    servers: 2,
    env: { ADMIN_PASSWORD_HASH: hash, LOGIN_RATE_LIMIT: String(limit), TRUST_PROXY: 'loopback' },
    browser: false,
  })
  let nextClient = 1
  const newClient = () => `198.51.100.${nextClient++}`

  async function login(server: RunningServer, client: string, attempt: string): Promise<number> {
    const res = await fetch(`${server.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': client },
      body: JSON.stringify({ password: attempt }),
    })
    await res.body?.cancel()
    return res.status
  }
  const wrong = (client: string, count: number) =>
    Array.from({ length: count }, (_, index) => login(app.servers[index % 2]!, client, `wrong guess ${index}`))
  const tally = (statuses: number[]) => {
    const counts: Record<number, number> = {}
    for (const status of statuses) counts[status] = (counts[status] ?? 0) + 1
    return counts
  }

  it(`answers exactly ${limit} of 40 wrong passwords sent at once to both with 401, the rest with 429`, async () => {
    for (let round = 0; round < rounds; round++) {
      expect(tally(await Promise.all(wrong(newClient(), 40)))).toEqual({ 401: limit, 429: 40 - limit })
    }
  })

  it('refuses the right password on one process once guesses sent to both have used up the limit', async () => {
    for (let round = 0; round < rounds; round++) {
      const client = newClient()
      const guesses = wrong(client, 20)
      const firstRefusal = new Promise<void>((resolve) => guesses.forEach((guess) => guess.then((status) => status === 429 && resolve())))
      await Promise.race([firstRefusal, Promise.all(guesses)])
      expect([await login(app.servers[0]!, client, password), await login(app.servers[1]!, client, password)]).toEqual([429, 429])
      expect(tally(await Promise.all(guesses))).toEqual({ 401: limit, 429: 20 - limit })
    }
  })

  it('counts guesses made one after another on alternate processes together', async () => {
    const client = newClient()
    const statuses: number[] = []
    for (let attempt = 0; attempt < 2 * limit; attempt++) statuses.push(await login(app.servers[attempt % 2]!, client, `guess ${attempt}`))
    expect(statuses).toEqual([...Array<number>(limit).fill(401), ...Array<number>(limit).fill(429)])
    expect(await login(app.servers[0]!, newClient(), password)).toBe(200)
  })
})
