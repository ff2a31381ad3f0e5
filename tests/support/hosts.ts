// App hosts as separate Node processes (tests/hosts/api-host.ts): each its own data folder, all on the
// database given, as hosts behind a load balancer would be.
import path from 'node:path'
import { createTempDataDir, repoRoot } from './data.js'
import { startListening, type RunningServer } from './server.js'

export interface Host {
  url: string
  process: RunningServer['process']
  /** Ends the process with `signal` (SIGKILL: a host that dies mid-request) and removes its data folder. */
  stop(signal?: NodeJS.Signals): Promise<void>
}

const hostScript = path.join(repoRoot, 'tests/hosts/api-host.ts')

export async function startHost(env: Record<string, string>): Promise<Host> {
  const data = await createTempDataDir()
  try {
    const server = await startListening(['--import', 'tsx', hostScript], { ...env, DATA_DIR: data.path, PORT: '0', HOST: '127.0.0.1' })
    return {
      url: server.url,
      process: server.process,
      async stop(signal = 'SIGTERM') {
        await server.stop(signal)
        await data.remove()
      },
    }
  } catch (err) {
    await data.remove()
    throw err
  }
}
