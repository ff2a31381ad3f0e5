import type { AddressInfo } from 'node:net'
import type { Server } from 'node:http'
import { afterAll, beforeAll } from 'vitest'
import { createApiApp } from '../../api/app.js'
import { loadConfig } from '../../api/config.js'
import { createTempDataDir, type TempDataDir } from './data.js'

export interface RunningApi {
  url: string
  close(): Promise<void>
}

/** The Express API on a free loopback port, serving the given data folder; `env` as the server's environment. */
export async function startApi(dataDir: string, env: Record<string, string> = {}): Promise<RunningApi> {
  const app = createApiApp(loadConfig({ ...env, DATA_DIR: dataDir, PORT: '0' }))
  const server: Server = await new Promise((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening))
  })
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve, reject) => server.close((err) => (err ? reject(err) : resolve()))),
  }
}

export interface TestApi {
  /** Where the API listens, without a trailing slash: `${url}/api/health`. */
  readonly url: string
  /** The temporary data folder it serves. */
  readonly dataDir: string
}

/**
 * A temporary data folder and the API serving it, for the enclosing describe: set up before its
 * tests (`prepare` fills the folder before the API starts), closed and removed after them.
 * `url` and `dataDir` can be read once that setup has run: in tests and in later hooks.
 */
export function useTestApi(prepare?: (dataDir: string) => Promise<void>, env: Record<string, string> = {}): TestApi {
  let data: TempDataDir | undefined
  let api: RunningApi | undefined

  beforeAll(async () => {
    data = await createTempDataDir()
    await prepare?.(data.path)
    api = await startApi(data.path, env)
  })
  // Also after a setup that failed halfway: nothing is left running or on disk.
  afterAll(async () => {
    await api?.close()
    await data?.remove()
  })

  return {
    get url() {
      return setUp(api).url
    },
    get dataDir() {
      return setUp(data).path
    },
  }
}

function setUp<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('useTestApi: read url and dataDir in a test or a later hook, once its setup has run')
  return value
}
