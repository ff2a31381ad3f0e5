import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { startApi, useTestApi } from '../../tests/support/api.js'
import { appVersion } from '../paths.js'

describe('GET /api/health', () => {
  const api = useTestApi()

  it('reports version, uptime and a writable data folder', async () => {
    const res = await fetch(`${api.url}/api/health`)
    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toBe('no-store')
    const body = await res.json()
    expect(body).toEqual({ status: 'ok', version: appVersion, uptimeSeconds: expect.any(Number), dataDir: 'writable' })
    expect(appVersion).toMatch(/^\d+\.\d+\.\d+/)
  })

  it('reports a data folder that does not exist', async () => {
    const missing = await startApi(path.join(api.dataDir, 'not-there'))
    try {
      const body = await (await fetch(`${missing.url}/api/health`)).json()
      expect(body.dataDir).toBe('missing')
    } finally {
      await missing.close()
    }
  })
})
