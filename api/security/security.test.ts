import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { useTestApi } from '../../tests/support/api.js'
import { addFixturePhotos, facesDir, snapshotDir } from '../../tests/support/data.js'
import { modelsUrl } from '../assets/urls.js'
import { contentSecurityPolicy, inlineScriptHashes } from './headers.js'
import { RateLimiter } from './rate-limit.js'

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
    ['OPTIONS', '/api/users'],
    ['POST', '/api/users'],
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
      fetch(`${api.url}/api/users/Ada/photos`, { method: 'POST', headers: { cookie, 'x-forwarded-for': '198.51.100.2' }, body: await uploadForm() })
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

describe('RateLimiter', () => {
  it('counts per client in fixed windows; 0 is no limit', () => {
    const limiter = new RateLimiter(2, 1000)
    limiter.count('a', 0)
    limiter.count('a', 10)
    expect(limiter.retryAfter('a', 500)).toBe(1)
    expect(limiter.retryAfter('b', 500)).toBe(0)
    expect(limiter.retryAfter('a', 1000)).toBe(0)
    const off = new RateLimiter(0, 1000)
    for (let i = 0; i < 10; i++) off.count('a', 0)
    expect(off.retryAfter('a', 0)).toBe(0)
  })
})
