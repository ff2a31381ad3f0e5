import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { existsSync } from 'node:fs'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { repoRoot } from './data.js'

export interface RunningServer {
  url: string
  process: ChildProcess
  output: string[]
  stop(signal?: NodeJS.Signals): Promise<number | null>
}

export const serverEntry = path.join(repoRoot, 'dist/server/index.js')

export function assertBuilt(): void {
  if (!existsSync(serverEntry) || !existsSync(path.join(repoRoot, '.output/server/index.mjs'))) {
    throw new Error('No production build: run `npm run build` (npm test does it first).')
  }
}

/**
 * The production server (the compiled dist/server/index.js) on a free port, resolved
 * once it logs that it listens; rejects with its output if it exits first.
 */
export async function startServer(env: Record<string, string>): Promise<RunningServer> {
  assertBuilt()
  return startListening([serverEntry], { NODE_ENV: 'production', PORT: '0', HOST: '127.0.0.1', ...env })
}

/** Node running `args` with `env` over this process's environment, resolved once it logs that it listens. */
export async function startListening(args: string[], env: Record<string, string>): Promise<RunningServer> {
  const child = spawn(process.execPath, args, {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const output: string[] = []
  createInterface({ input: child.stderr! }).on('line', (line) => output.push(line))
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      output.push(line)
      if (line.includes('"msg":"listening"')) resolve(JSON.parse(line).url)
    })
    child.once('exit', (code) => reject(new Error(`Server exited with ${code}:\n${output.join('\n')}`)))
  })
  return {
    url,
    process: child,
    output,
    /** Resolves with the exit code; at once for a process that has exited, or that a test killed. */
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode
      child.kill(signal)
      const [code] = await once(child, 'exit')
      return code as number | null
    },
  }
}

/** The server's JSON log lines so far, parsed; other output (Nuxt's own warnings) is left out. */
export function logEntries(server: RunningServer): Record<string, unknown>[] {
  return server.output.flatMap((line) => {
    try {
      const entry: unknown = JSON.parse(line)
      return typeof entry === 'object' && entry !== null ? [entry as Record<string, unknown>] : []
    } catch {
      return []
    }
  })
}

/** Resolves with the first log entry that matches once the server has logged it; rejects if it exits first. */
export async function waitForLog(
  server: RunningServer,
  matches: (entry: Record<string, unknown>) => boolean,
  timeoutMs = 30_000,
): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const entry = logEntries(server).find(matches)
    if (entry) return entry
    if (server.process.exitCode !== null || Date.now() > deadline) {
      throw new Error(`The server did not log the entry looked for:\n${server.output.join('\n')}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}
