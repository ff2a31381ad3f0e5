import type { AddressInfo } from 'node:net'
import type { Server } from 'node:http'
import { createApiApp } from '../../api/app.js'
import { loadConfig } from '../../api/config.js'

export interface RunningApi {
  url: string
  close(): Promise<void>
}

/** The Express API on a free loopback port, serving the given data folder. */
export async function startApi(dataDir: string): Promise<RunningApi> {
  const app = createApiApp(loadConfig({ DATA_DIR: dataDir, PORT: '0' }))
  const server: Server = await new Promise((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening))
  })
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve, reject) => server.close((err) => (err ? reject(err) : resolve()))),
  }
}
