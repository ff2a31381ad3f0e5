import { mkdir, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startApi, useTestApi, type RunningApi } from '../../tests/support/api.js'
import { storedFiles } from '../../tests/support/stored.js'
import { appVersion } from '../paths.js'

/**
 * A folder inside `base` that this process cannot create files in. File modes do not stop root,
 * so as root (as in CI containers) it is Linux's sysfs, where no one may create a file.
 */
async function unwritableDir(base: string): Promise<string> {
  if (process.getuid?.() === 0) return '/sys'
  const dir = path.join(base, 'read-only')
  await mkdir(dir, { mode: 0o555 })
  return dir
}

/** A folder inside `base` that is not there. */
const missingDir = async (base: string) => path.join(base, 'not-there')

describe('GET /api/health', () => {
  const api = useTestApi()

  it('reports version, uptime and a writable data folder', async () => {
    const res = await fetch(`${api.url}/api/health`)
    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toBe('no-store')
    const body = await res.json()
    expect(body).toEqual({ status: 'ok', version: appVersion, uptimeSeconds: expect.any(Number), dataDir: 'writable', matchOnServer: false })
    expect(appVersion).toMatch(/^\d+\.\d+\.\d+/)
  })

  it.each([
    ['does not exist', missingDir, 'missing'],
    ['cannot be written to', unwritableDir, 'read-only'],
  ] as const)('stays 200 and reports a data folder that %s', async (_case, dataDir, reported) => {
    const served = await startApi(await dataDir(api.dataDir))
    try {
      const res = await fetch(`${served.url}/api/health`)
      expect(res.status).toBe(200)
      expect((await res.json()).dataDir).toBe(reported)
    } finally {
      await served.close()
    }
  })
})

describe('GET /api/health/ready', () => {
  const api = useTestApi()

  it('is ready when the data folder takes a file, and leaves none behind', async () => {
    const res = await fetch(`${api.url}/api/health/ready`)
    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toBe('no-store')
    expect(await res.json()).toEqual({ status: 'ready' })
    expect(await storedFiles(api.dataDir)).toEqual([])
  })

  describe.each([
    ['does not exist', 'The data folder does not exist', missingDir],
    [
      'is a file',
      'The data folder does not exist',
      async (base: string) => {
        const file = path.join(base, 'a-file')
        await writeFile(file, 'not a folder')
        return file
      },
    ],
    ['cannot be written to', 'The data folder cannot be written to', unwritableDir],
  ])('when the data folder %s', (_case, message, dataDir) => {
    let served: RunningApi

    beforeAll(async () => {
      served = await startApi(await dataDir(api.dataDir))
    })
    afterAll(async () => {
      await served.close()
    })

    it(`is 503 not_ready: "${message}"`, async () => {
      const res = await fetch(`${served.url}/api/health/ready`)
      expect(res.status).toBe(503)
      expect(res.headers.get('cache-control')).toBe('no-store')
      expect(await res.json()).toEqual({ error: { code: 'not_ready', message } })
    })
  })

  it('follows the data folder as it goes away and comes back', async () => {
    const dataDir = path.join(api.dataDir, 'comes-and-goes')
    await mkdir(dataDir)
    const served = await startApi(dataDir)
    try {
      expect((await fetch(`${served.url}/api/health/ready`)).status).toBe(200)
      await rm(dataDir, { recursive: true })
      expect((await fetch(`${served.url}/api/health/ready`)).status).toBe(503)
      expect((await fetch(`${served.url}/api/health`)).status).toBe(200)
      await mkdir(dataDir)
      expect((await fetch(`${served.url}/api/health/ready`)).status).toBe(200)
    } finally {
      await served.close()
    }
  })
})
