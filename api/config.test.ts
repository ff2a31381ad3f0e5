import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from './config.js'

describe('loadConfig', () => {
  it('defaults to port 3000, loopback and ./data', () => {
    expect(loadConfig({})).toEqual({
      port: 3000,
      host: '127.0.0.1',
      dataDir: path.resolve('data'),
      shutdownTimeoutMs: 10_000,
    })
  })

  it('reads PORT, HOST, DATA_DIR and SHUTDOWN_TIMEOUT_MS', () => {
    const config = loadConfig({ PORT: '8080', HOST: '0.0.0.0', DATA_DIR: '/srv/facer', SHUTDOWN_TIMEOUT_MS: '500' })
    expect(config).toEqual({ port: 8080, host: '0.0.0.0', dataDir: '/srv/facer', shutdownTimeoutMs: 500 })
  })

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

  it('names every bad variable at once', () => {
    expect(() => loadConfig({ PORT: 'x', HOST: '' })).toThrow(/PORT="x".*; HOST="" must not be empty/)
  })
})
