import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { formatPasswordHash, hashPassword } from './auth/password.js'
import { ConfigError, defaultRateLimits, loadConfig } from './config.js'

describe('loadConfig', () => {
  it('defaults to port 3000, loopback and ./data', () => {
    expect(loadConfig({})).toEqual({
      port: 3000,
      host: '127.0.0.1',
      allowedHosts: [],
      dataDir: path.resolve('data'),
      databaseUrl: null,
      shutdownTimeoutMs: 10_000,
      auth: null,
      trustProxy: false,
      rateLimits: defaultRateLimits,
      eventStreamsMax: 1000,
      matchOnServer: false,
    })
  })

  it('reads PORT, HOST, DATA_DIR and SHUTDOWN_TIMEOUT_MS', () => {
    const config = loadConfig({ PORT: '8080', HOST: '0.0.0.0', DATA_DIR: '/srv/facer', SHUTDOWN_TIMEOUT_MS: '500' })
    expect(config).toMatchObject({ port: 8080, host: '0.0.0.0', dataDir: '/srv/facer', shutdownTimeoutMs: 500 })
  })

  it('reads ALLOWED_HOSTS as lower-case names', () => {
    expect(loadConfig({ ALLOWED_HOSTS: 'facer.example.com' }).allowedHosts).toEqual(['facer.example.com'])
    expect(loadConfig({ ALLOWED_HOSTS: ' Facer.LAN , facer_app,192.168.1.20' }).allowedHosts).toEqual(['facer.lan', 'facer_app', '192.168.1.20'])
    expect(loadConfig({ ALLOWED_HOSTS: ' ' }).allowedHosts).toEqual([])
  })

  it.each(['https://facer.example.com', 'facer.example.com:443', 'a,,b', 'facer.example.com/', '*', '*.example.com', '-facer.lan', 'fa cer'])(
    'rejects ALLOWED_HOSTS=%j with a message naming the variable',
    (value) => {
      expect(() => loadConfig({ ALLOWED_HOSTS: value })).toThrow(
        `ALLOWED_HOSTS=${JSON.stringify(value)} must be host names separated by commas, without scheme or port`,
      )
    },
  )

  it('lets the caller change a default, and the environment still wins', () => {
    expect(loadConfig({}, { port: 3001 }).port).toBe(3001)
    expect(loadConfig({ PORT: '4000' }, { port: 3001 }).port).toBe(4000)
  })

  it.each([
    [{ PORT: 'abc' }, 'PORT="abc" must be a whole number from 0 to 65535'],
    [{ PORT: '70000' }, 'PORT="70000" must be a whole number from 0 to 65535'],
    [{ PORT: '-1' }, 'PORT="-1" must be a whole number from 0 to 65535'],
    [{ PORT: '' }, 'PORT="" must be a whole number from 0 to 65535'],
    [{ DATA_DIR: '  ' }, 'DATA_DIR="  " must not be empty'],
    [{ SHUTDOWN_TIMEOUT_MS: '1.5s' }, 'SHUTDOWN_TIMEOUT_MS="1.5s" must be a whole number of milliseconds'],
  ])('rejects %j with a message naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError)
    expect(() => loadConfig(env)).toThrow(message)
  })

  it('turns authentication on with ADMIN_PASSWORD, with a viewer and a session length', () => {
    const config = loadConfig({ ADMIN_PASSWORD: 'admin-secret', VIEWER_PASSWORD: 'viewer-secret', SESSION_TTL_MINUTES: '30' })
    expect(config.auth).toEqual({
      credentials: { admin: { password: 'admin-secret' }, viewer: { password: 'viewer-secret' } },
      sessionTtlMs: 30 * 60_000,
    })
    expect(loadConfig({ ADMIN_PASSWORD: 'admin-secret' }).auth).toEqual({
      credentials: { admin: { password: 'admin-secret' } },
      sessionTtlMs: 12 * 60 * 60_000,
    })
  })

  it('reads a password hash made by npm run hash-password', async () => {
    const hash = await hashPassword('admin-secret', { N: 2 ** 10, r: 8, p: 1 })
    const config = loadConfig({ ADMIN_PASSWORD_HASH: formatPasswordHash(hash) })
    expect(config.auth?.credentials.admin).toEqual({ hash })
  })

  it('reads TRUST_PROXY and the rate limits', () => {
    expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxy).toBe(true)
    expect(loadConfig({ TRUST_PROXY: '1' }).trustProxy).toBe(1)
    expect(loadConfig({ TRUST_PROXY: 'loopback, 10.0.0.0/8' }).trustProxy).toBe('loopback, 10.0.0.0/8')
    expect(loadConfig({ LOGIN_RATE_LIMIT: '3', UPLOAD_RATE_LIMIT: '0' }).rateLimits).toEqual({
      ...defaultRateLimits,
      login: 3,
      upload: 0,
    })
  })

  it('reads MATCH_ON_SERVER and EVENT_STREAMS_MAX', () => {
    expect(loadConfig({ MATCH_ON_SERVER: '1', EVENT_STREAMS_MAX: '5' })).toMatchObject({ matchOnServer: true, eventStreamsMax: 5 })
    expect(loadConfig({ MATCH_ON_SERVER: '0' }).matchOnServer).toBe(false)
  })

  it.each([
    [{ ADMIN_PASSWORD: 'short' }, 'ADMIN_PASSWORD must be at least 8 characters long'],
    [{ ADMIN_PASSWORD_HASH: 'secret123' }, 'ADMIN_PASSWORD_HASH must be a hash from `npm run hash-password`'],
    [{ ADMIN_PASSWORD_HASH: 'scrypt$1000$8$1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaA' }, 'ADMIN_PASSWORD_HASH must be a hash'],
    [{ ADMIN_PASSWORD: 'admin-secret', ADMIN_PASSWORD_HASH: 'x' }, 'ADMIN_PASSWORD_HASH must be a hash'],
    [{ VIEWER_PASSWORD: 'viewer-secret' }, 'VIEWER_PASSWORD needs ADMIN_PASSWORD'],
    [{ ADMIN_PASSWORD: 'same-secret', VIEWER_PASSWORD: 'same-secret' }, 'VIEWER_PASSWORD must differ from ADMIN_PASSWORD'],
    [{ SESSION_TTL_MINUTES: '0' }, 'SESSION_TTL_MINUTES="0" must be at least 1 minute'],
    [{ UPLOAD_RATE_LIMIT: 'lots' }, 'UPLOAD_RATE_LIMIT="lots" must be a whole number of uploads'],
    [{ MATCH_ON_SERVER: 'yes' }, 'MATCH_ON_SERVER="yes" must be 1'],
    [{ EVENT_STREAMS_MAX: '-1' }, 'EVENT_STREAMS_MAX="-1" must be a whole number of streams'],
  ])('refuses the authentication setting %j', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError)
    expect(() => loadConfig(env)).toThrow(message)
  })

  it('chooses PostgreSQL with DATABASE_URL, the files with it empty, and never repeats the URL, which may hold a password', () => {
    const url = 'postgres://facer:secret@db.example:5432/facer'
    expect(loadConfig({ DATABASE_URL: url }).databaseUrl).toBe(url)
    expect(loadConfig({ DATABASE_URL: '' }).databaseUrl).toBeNull()
    expect(() => loadConfig({ DATABASE_URL: 'mysql://facer:secret@db' })).toThrow(/^Invalid configuration: DATABASE_URL must be a postgres:\/\/ URL/)
    expect(() => loadConfig({ DATABASE_URL: 'mysql://facer:secret@db' })).not.toThrow(/secret/)
  })

  it('never repeats a password in its message', () => {
    expect(() => loadConfig({ ADMIN_PASSWORD: 'short' })).not.toThrow(/short"/)
  })

  it('names both ways of giving one password when both are set', async () => {
    const hash = formatPasswordHash(await hashPassword('admin-secret', { N: 2 ** 10, r: 8, p: 1 }))
    expect(() => loadConfig({ ADMIN_PASSWORD: 'admin-secret', ADMIN_PASSWORD_HASH: hash })).toThrow(
      'set ADMIN_PASSWORD or ADMIN_PASSWORD_HASH, not both',
    )
  })

  it('names every bad variable at once', () => {
    expect(() => loadConfig({ PORT: 'x', HOST: '' })).toThrow(/PORT="x".*; HOST="" must not be empty/)
  })
})
