import { execFile } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { repoRoot } from './data.js'
import { freePort } from './ports.js'

const run = promisify(execFile)

export interface Pm2Worker {
  pid: number
  status: string
  execMode: string
}

export interface Pm2Cluster {
  url: string
  /** `pm2 <args>` against this cluster's own PM2_HOME; resolves with its stdout. */
  pm2(...args: string[]): Promise<string>
  workers(): Promise<Pm2Worker[]>
  /** `pm2 kill`, then removes PM2_HOME: nothing keeps running after the test. */
  kill(): Promise<void>
}

/**
 * The app under PM2 as `npm run start:pm2` starts it (ecosystem.config.js, cluster mode), on a
 * free port, with a temporary PM2_HOME so that no one's PM2 is touched.
 */
export async function startPm2Cluster(env: { DATA_DIR: string; WEB_CONCURRENCY: string; UPLOAD_RATE_LIMIT?: string; DATABASE_URL?: string }): Promise<Pm2Cluster> {
  const pm2Home = await mkdtemp(path.join(os.tmpdir(), 'facer-pm2-'))
  const port = await freePort()
  const pm2 = async (...args: string[]) => {
    const pm2Bin = path.join(repoRoot, 'node_modules/.bin/pm2')
    return (await run(pm2Bin, args, { cwd: repoRoot, env: { ...process.env, PM2_HOME: pm2Home } })).stdout
  }
  const cluster: Pm2Cluster = {
    url: `http://127.0.0.1:${port}`,
    pm2,
    async workers() {
      const list = JSON.parse(await pm2('jlist')) as { pid: number; pm2_env: { status: string; exec_mode: string } }[]
      return list.map((worker) => ({ pid: worker.pid, status: worker.pm2_env.status, execMode: worker.pm2_env.exec_mode }))
    },
    async kill() {
      await pm2('kill').catch(() => {})
      await rm(pm2Home, { recursive: true, force: true })
    },
  }
  try {
    await run('npm', ['run', 'start:pm2'], {
      cwd: repoRoot,
      env: { ...process.env, PM2_HOME: pm2Home, PORT: String(port), ...env },
    })
  } catch (err) {
    await cluster.kill()
    throw err
  }
  return cluster
}
