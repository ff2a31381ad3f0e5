import { execFile, spawnSync } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTempDataDir, repoRoot, type TempDataDir } from '../support/data.js'
import { freePort } from '../support/ports.js'
import { serverEntry, startServer } from '../support/server.js'

const run = promisify(execFile)

describe('the production server process', () => {
  let data: TempDataDir

  beforeAll(async () => {
    data = await createTempDataDir()
  })
  afterAll(async () => {
    await data.remove()
  })

  it.each([
    [{ PORT: 'eighty' }, 'Invalid configuration: PORT="eighty" must be a whole number from 0 to 65535'],
    [{ PORT: '3000', DATA_DIR: '' }, 'Invalid configuration: DATA_DIR="" must not be empty'],
  ])('refuses to start with %j and says why', (env, message) => {
    const result = spawnSync(process.execPath, [serverEntry], { env: { ...process.env, ...env }, encoding: 'utf8' })
    expect(result.status).toBe(1)
    expect(result.stderr.trim()).toBe(message)
  })

  it('reports a port already in use and exits', async () => {
    const first = await startServer({ DATA_DIR: data.path })
    try {
      const port = new URL(first.url).port
      const result = spawnSync(process.execPath, [serverEntry], {
        env: { ...process.env, PORT: port, HOST: '127.0.0.1', DATA_DIR: data.path },
        encoding: 'utf8',
      })
      expect(result.status).toBe(1)
      expect(result.stderr).toContain('EADDRINUSE')
    } finally {
      await first.stop()
    }
  })

  it.each(['SIGTERM', 'SIGINT'] as const)('stops cleanly on %s', async (signal) => {
    const server = await startServer({ DATA_DIR: data.path })
    expect((await fetch(`${server.url}/api/health`)).status).toBe(200)
    expect(await server.stop(signal)).toBe(0)
    expect(server.output.join('\n')).toContain('"msg":"stopped"')
  })
})

describe('PM2 cluster mode', () => {
  let data: TempDataDir
  let pm2Home: string
  const pm2 = (...args: string[]) =>
    run(path.join(repoRoot, 'node_modules/.bin/pm2'), args, { cwd: repoRoot, env: { ...process.env, PM2_HOME: pm2Home } })

  beforeAll(async () => {
    data = await createTempDataDir()
    pm2Home = await mkdtemp(path.join(os.tmpdir(), 'facer-pm2-'))
  })
  afterAll(async () => {
    await pm2('kill').catch(() => {})
    await rm(pm2Home, { recursive: true, force: true })
    await data.remove()
  })

  it('serves the whole app from 2 workers started by ecosystem.config.js', async () => {
    const port = await freePort()
    await run('npm', ['run', 'start:pm2'], {
      cwd: repoRoot,
      env: { ...process.env, PM2_HOME: pm2Home, PORT: String(port), DATA_DIR: data.path, WEB_CONCURRENCY: '2' },
    })
    const { stdout } = await pm2('jlist')
    const workers = (JSON.parse(stdout) as { pm2_env: { status: string; exec_mode: string } }[]).map(
      (worker) => `${worker.pm2_env.exec_mode}:${worker.pm2_env.status}`,
    )
    expect(workers).toEqual(['cluster_mode:online', 'cluster_mode:online'])

    const url = `http://127.0.0.1:${port}`
    for (let i = 0; i < 6; i++) {
      expect((await fetch(`${url}/api/health`)).status).toBe(200)
      const page = await fetch(`${url}/people`)
      expect(page.status).toBe(200)
      expect(await page.text()).toContain('No one is registered yet.')
    }
  })
})
