import { stat } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import type { Server } from 'node:http'
import { afterAll, beforeAll, inject } from 'vitest'
import { createApiApp } from '../../api/app.js'
import { loadConfig } from '../../api/config.js'
import { openBackend } from '../../api/storage/backend.js'
import { copyData } from '../../api/storage/copy.js'
import { createDatabase } from './postgres.js'
import { createTempDataDir, type TempDataDir } from './data.js'

export interface RunningApi {
  url: string
  close(): Promise<void>
}

/** The database each data folder was copied into, in this test file: an API started again on a folder serves the same data. */
const databases = new Map<string, string>()

/** The database the API started on `dataDir` serves instead of the folder; undefined on the files backend. */
export function databaseOf(dataDir: string): string | undefined {
  return databases.get(dataDir)
}

/**
 * The backend the tests run against: the files in the data folder, or, in a run with a PostgreSQL
 * server (the api-postgres project's global setup), a database of its own for each data folder,
 * filled with what the folder held when the API first started on it (nothing, where it is no folder).
 */
async function databaseFor(dataDir: string, env: Record<string, string>): Promise<Record<string, string>> {
  const server = inject('postgresUrl')
  if (!server || env.DATABASE_URL !== undefined) return {}
  let url = databases.get(dataDir)
  if (!url) {
    url = await createDatabase(server)
    // A data folder that is not there, or is a file, holds nothing to copy: the database starts empty.
    if ((await stat(dataDir).catch(() => undefined))?.isDirectory()) await copyData(dataDir, url)
    databases.set(dataDir, url)
  }
  return { DATABASE_URL: url }
}

/** The Express API on a free loopback port, serving the given data folder; `env` as the server's environment. */
export async function startApi(dataDir: string, env: Record<string, string> = {}): Promise<RunningApi> {
  const config = loadConfig({ ...env, ...(await databaseFor(dataDir, env)), DATA_DIR: dataDir, PORT: '0' })
  const backend = openBackend(config)
  const app = createApiApp(config, backend)
  const server: Server = await new Promise((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening))
  })
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())))
      await backend.close()
    },
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
