import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { useTestApi } from '../../tests/support/api.js'
import { addFixturePhotos, createTempDataDir, facesDir, listFiles, snapshotDir, type TempDataDir } from '../../tests/support/data.js'
import { modelsUrl } from '../assets/urls.js'
import { formatPasswordHash, hashPassword } from '../auth/password.js'
import { contentSecurityPolicy, inlineScriptHashes } from '../../shared/http/headers.js'
import { FileRateLimitStore, MemoryRateLimitStore } from './rate-limit.js'

const adminPassword = 'admin password for the limits'

async function uploadForm(): Promise<FormData> {
  const form = new FormData()
  const photo = await readFile(path.join(facesDir, 'people/barack_obama/obama_small.jpg'))
  form.append('photos', new Blob([new Uint8Array(photo)], { type: 'image/jpeg' }), 'photo.jpg')
  return form
}

describe('security headers', () => {
  const api = useTestApi()

  it.each([
    ['GET', '/api/health'],
    ['GET', '/api/nothing'],
    ['GET', `${modelsUrl}tiny_face_detector_model-weights_manifest.json`],
    ['OPTIONS', '/api/people'],
    ['POST', '/api/people'],
  ])('are on %s %s, with no CORS header even for another origin', async (method, route) => {
    const res = await fetch(`${api.url}${route}`, {
      method,
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'DELETE' },
    })
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    expect(res.headers.get('referrer-policy')).toBe('no-referrer')
    expect(res.headers.get('content-security-policy')).toBe(contentSecurityPolicy())
    res.headers.forEach((_value, name) => expect(name).not.toMatch(/^access-control-/))
  })

  it('make a CSP that allows only this origin, WASM and hashed inline scripts', () => {
    const policy = contentSecurityPolicy(["'sha256-abc'"])
    for (const directive of [
      "default-src 'self'",
      "script-src 'self' 'wasm-unsafe-eval' blob: 'sha256-abc'",
      "object-src 'none'",
      "base-uri 'self'",
      "form-action 'self'",
      "frame-ancestors 'none'",
    ]) {
      expect(policy).toContain(directive)
    }
    expect(policy).not.toMatch(/script-src[^;]*'unsafe-(inline|eval)'/)
    expect(policy).not.toContain('*')
  })

  it('hash the inline scripts of a page, not its data blocks or external scripts', () => {
    const html = [
      '<script type="module" src="/_nuxt/entry.js"></script>',
      '<script>window.__NUXT__={}</script>',
      '<script type="application/json" id="__NUXT_DATA__">[1]</script>',
      '<script>window.__NUXT__={}</script>',
    ].join('')
    // echo -n 'window.__NUXT__={}' | openssl dgst -sha256 -binary | base64
    expect(inlineScriptHashes(html)).toEqual(["'sha256-9t9kOTpBXQ6UK6UoTUcY2ezm5KT7oB5pbv8ZFsTUBAU='"])
  })
})

describe('with authentication off', () => {
  const api = useTestApi()

  it('says so, and everyone is an admin', async () => {
    const session = await fetch(`${api.url}/api/auth/session`)
    expect(await session.json()).toEqual({ authEnabled: false, role: 'admin', expiresAt: null })
    const login = await fetch(`${api.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ password: 'anything at all' }),
    })
    expect(login.status).toBe(409)
    expect((await login.json()).error.code).toBe('auth_disabled')
  })
})

describe('rate limits', () => {
  const api = useTestApi(
    (dataDir) => addFixturePhotos(dataDir, 'Ada', ['people/barack_obama/obama.jpg']),
    { ADMIN_PASSWORD: adminPassword, LOGIN_RATE_LIMIT: '2', UPLOAD_RATE_LIMIT: '2', TRUST_PROXY: 'loopback' },
  )
  const login = (password: string, client = '203.0.113.7') =>
    fetch(`${api.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': client },
      body: JSON.stringify({ password }),
    })

  it('refuse a client’s sign-ins after its failed ones, the right password too, with 429 and Retry-After', async () => {
    expect((await login('wrong one')).status).toBe(401)
    expect((await login('wrong two')).status).toBe(401)
    const refused = await login(adminPassword)
    expect(refused.status).toBe(429)
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(800)
    expect((await refused.json()).error).toEqual({ code: 'too_many_requests', message: 'Too many failed sign-ins; try again in 15 minutes' })
    // Another client, as the trusted proxy reports it, is not held back.
    expect((await login(adminPassword, '198.51.100.1')).status).toBe(200)
  })

  it('refuse a client’s uploads over the limit, storing nothing', async () => {
    const signedIn = await login(adminPassword, '198.51.100.2')
    const cookie = signedIn.headers.getSetCookie()[0]!.split(';')[0]!
    const upload = async () =>
      fetch(`${api.url}/api/people/Ada/photos`, { method: 'POST', headers: { cookie, 'x-forwarded-for': '198.51.100.2' }, body: await uploadForm() })
    expect((await upload()).status).toBe(201)
    expect((await upload()).status).toBe(201)
    const before = await snapshotDir(api.dataDir)
    const refused = await upload()
    expect(refused.status).toBe(429)
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(await snapshotDir(api.dataDir)).toEqual(before)
  })

  it('mark the cookie Secure when the trusted proxy says the browser used HTTPS', async () => {
    const res = await fetch(`${api.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-proto': 'https', 'x-forwarded-for': '198.51.100.3' },
      body: JSON.stringify({ password: adminPassword }),
    })
    expect(res.headers.getSetCookie()[0]).toMatch(/^facer_session=[\w-]+\.[\w-]+; Max-Age=43200; Path=\/; Expires=.*; HttpOnly; Secure; SameSite=Strict$/)
  })
})

const hashedPassword = 'the right password, hashed'
// A cheaper cost than npm run hash-password's, so that the rounds stay short; the check is as asynchronous.
const hashedPasswordHash = formatPasswordHash(await hashPassword(hashedPassword, { N: 2 ** 12, r: 8, p: 1 }))

type Reply = { status: number; retryAfter: number }

/** How many replies have each status: `{ 401: 5, 429: 35 }`. */
function tally(replies: Reply[]): Record<number, number> {
  const counts: Record<number, number> = {}
  for (const { status } of replies) counts[status] = (counts[status] ?? 0) + 1
  return counts
}

describe('the sign-in limit with a hashed password, for sign-ins that arrive together', () => {
  const limit = 5
  const rounds = 3
  const password = hashedPassword
  const api = useTestApi(undefined, { ADMIN_PASSWORD_HASH: hashedPasswordHash, LOGIN_RATE_LIMIT: String(limit), TRUST_PROXY: 'loopback' })
  let nextClient = 1
  const newClient = () => `203.0.113.${nextClient++}`

  const login = async (client: string, attempt: string): Promise<Reply> => {
    const res = await fetch(`${api.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': client },
      body: JSON.stringify({ password: attempt }),
    })
    await res.body?.cancel()
    return { status: res.status, retryAfter: Number(res.headers.get('retry-after') ?? 0) }
  }
  const wrong = (client: string, count: number) => Array.from({ length: count }, (_, index) => login(client, `wrong guess ${index}`))

  it(`checks at most ${limit} wrong passwords of 25 sent with the right one at once, and refuses the rest with 429`, async () => {
    for (let round = 0; round < rounds; round++) {
      const client = newClient()
      const [right, ...guesses] = await Promise.all([login(client, password), ...wrong(client, 25)])
      const counts = tally(guesses)
      expect(counts[401] ?? 0).toBeLessThanOrEqual(limit)
      expect((counts[401] ?? 0) + (counts[429] ?? 0)).toBe(25)
      // The right one is checked only while it holds one of the places; a success gives its place back.
      expect([200, 429]).toContain(right!.status)
      const failed = counts[401] ?? 0
      if (right!.status === 429) expect(failed).toBe(limit)
      // Every checked guess still counts; the client has the rest of the limit, and no more.
      const more = await Promise.all(wrong(client, limit))
      expect(more.filter((reply) => reply.status === 401)).toHaveLength(limit - failed)
      expect(more.filter((reply) => reply.status === 429)).toHaveLength(failed)
    }
  })

  it('refuses the right password sent once the wrong ones in flight have taken every place', async () => {
    for (let round = 0; round < rounds; round++) {
      const client = newClient()
      const guesses = wrong(client, 25)
      // A 429 among the guesses means that the limit's places were all taken, by guesses, which never give them back.
      const firstRefusal = new Promise<void>((resolve) => guesses.forEach((guess) => guess.then((reply) => reply.status === 429 && resolve())))
      await Promise.race([firstRefusal, Promise.all(guesses)])
      const right = await login(client, password)
      expect(tally(await Promise.all(guesses))).toEqual({ 401: limit, 429: 25 - limit })
      expect(right.status).toBe(429)
      expect(right.retryAfter).toBeGreaterThan(800)
    }
  })

  it(`answers exactly ${limit} of 40 wrong passwords sent at once with 401, and the other ${40 - limit} with 429`, async () => {
    for (let round = 0; round < rounds; round++) {
      expect(tally(await Promise.all(wrong(newClient(), 40)))).toEqual({ 401: limit, 429: 40 - limit })
    }
  })

  it('lets the right password in as often as it is given, as it counts as no failure', async () => {
    const client = newClient()
    for (let attempt = 0; attempt < 2 * limit; attempt++) expect((await login(client, password)).status).toBe(200)
    expect(tally(await Promise.all(wrong(client, limit + 1)))).toEqual({ 401: limit, 429: 1 })
  })
})

describe.each([
  ['in memory', (_dir: string, limit: number, windowMs: number) => new MemoryRateLimitStore(limit, windowMs)],
  ['in a file', (dir: string, limit: number, windowMs: number) => new FileRateLimitStore(path.join(dir, 'counts.json'), limit, windowMs)],
] as const)('a rate limit store %s', (_label, makeStore) => {
  let data: TempDataDir
  beforeEach(async () => {
    data = await createTempDataDir()
  })
  afterEach(async () => {
    await data.remove()
  })

  it('counts per client in fixed windows, takes back a given-back event, and counts nothing at 0', async () => {
    const store = makeStore(data.path, 2, 1000)
    expect([await store.take('a', 0), await store.take('a', 10), await store.take('a', 500)]).toEqual([0, 0, 1])
    expect(await store.take('b', 500)).toBe(0)
    await store.giveBack('a', 600)
    expect([await store.take('a', 600), await store.take('a', 600)]).toEqual([0, 1])
    expect(await store.take('a', 1000)).toBe(0)
    const off = makeStore(data.path, 0, 1000)
    for (let i = 0; i < 10; i++) expect(await off.take('a', 0)).toBe(0)
  })

  it('never counts more than the limit, however many take at once', async () => {
    const store = makeStore(data.path, 7, 60_000)
    for (let round = 0; round < 5; round++) {
      const taken = await Promise.all(Array.from({ length: 30 }, () => store.take(`client ${round}`)))
      expect(taken.filter((seconds) => seconds === 0)).toHaveLength(7)
    }
  })
})

describe('a rate limit store in a file', () => {
  let data: TempDataDir
  beforeEach(async () => {
    data = await createTempDataDir()
  })
  afterEach(async () => {
    await data.remove()
  })
  const file = () => path.join(data.path, '.auth', 'counts.json')

  it('is shared by every process on it: two stores on one file never count more than the limit together', async () => {
    const stores = [new FileRateLimitStore(file(), 7, 60_000), new FileRateLimitStore(file(), 7, 60_000)]
    for (let round = 0; round < 5; round++) {
      const taken = await Promise.all(Array.from({ length: 30 }, (_, index) => stores[index % 2]!.take(`client ${round}`)))
      expect(taken.filter((seconds) => seconds === 0)).toHaveLength(7)
    }
    expect(await listFiles(path.dirname(file()))).toEqual(['counts.json'])
    expect((await stat(path.dirname(file()))).mode & 0o777).toBe(0o700)
    expect((await stat(file())).mode & 0o777).toBe(0o600)
  })

  it('goes on counting when its folder is deleted (deleting DATA_DIR/.auth signs everyone out)', async () => {
    const store = new FileRateLimitStore(file(), 2, 60_000)
    await store.take('a')
    await rm(path.dirname(file()), { recursive: true })
    expect([await store.take('a'), await store.take('a'), await store.take('a')]).toEqual([0, 0, 60])
  })

  it('keeps only the windows that have not ended', async () => {
    const store = new FileRateLimitStore(file(), 3, 1000)
    await store.take('old', 0)
    await store.take('new', 900)
    await store.take('newer', 1500)
    expect(JSON.parse(await readFile(file(), 'utf8'))).toEqual([
      { client: 'new', count: 1, resetAt: 1900 },
      { client: 'newer', count: 1, resetAt: 2500 },
    ])
  })

  it.each([
    ['not JSON', '{"client":'],
    ['not the schema', '[{"client":"a","count":"many"}]'],
  ])('starts counting again from a file that is %s', async (_label, text) => {
    await mkdir(path.dirname(file()), { recursive: true })
    await writeFile(file(), text)
    const store = new FileRateLimitStore(file(), 1, 60_000)
    expect([await store.take('a'), await store.take('a')]).toEqual([0, 60])
  })
})

describe('a rate limit store in memory', () => {
  it('follows at most 10,000 clients, forgetting first the windows that end first', async () => {
    const store = new MemoryRateLimitStore(1, 60_000)
    await store.take('first', 0)
    for (let client = 0; client < 9_999; client++) await store.take(`client ${client}`, 1)
    expect(await store.take('first', 2)).toBe(60)
    await store.take('one too many', 2)
    expect(await store.take('client 0', 3)).toBe(60)
    expect(await store.take('first', 3)).toBe(0)
  })
})
