import { spawnSync } from 'node:child_process'
import { request } from 'node:http'
import { describe, expect, it } from 'vitest'
import { useApp } from '../support/app.js'
import { startPm2Cluster } from '../support/pm2.js'
import { logEntries, serverEntry, waitForLog } from '../support/server.js'

describe('the production server process', () => {
  // Each test starts the server it is about.
  const app = useApp({ servers: 0, browser: false })

  it.each([
    [{ PORT: 'eighty' }, 'Invalid configuration: PORT="eighty" must be a whole number from 0 to 65535'],
    [{ PORT: '3000', DATA_DIR: '' }, 'Invalid configuration: DATA_DIR="" must not be empty'],
    [
      { PORT: '3000', ALLOWED_HOSTS: 'https://facer.example.com' },
      'Invalid configuration: ALLOWED_HOSTS="https://facer.example.com" must be host names separated by commas, without scheme or port (facer.example.com,facer.lan)',
    ],
  ])('refuses to start with %j and says why', (env, message) => {
    const result = spawnSync(process.execPath, [serverEntry], { env: { ...process.env, ...env }, encoding: 'utf8' })
    expect(result.status).toBe(1)
    expect(result.stderr.trim()).toBe(message)
  })

  it('answers pages and the API only under a host it knows: rebinding gets 421 from both', async () => {
    const server = await app.startServer({ ALLOWED_HOSTS: 'facer.example.com' })
    try {
      const { port } = new URL(server.url)
      const get = (route: string, host: string) =>
        new Promise<{ status: number; body: string }>((resolve, reject) => {
          const req = request({ hostname: '127.0.0.1', port, path: route, headers: { host } }, (res) => {
            const chunks: Buffer[] = []
            res.on('data', (chunk: Buffer) => chunks.push(chunk))
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }))
          })
          req.on('error', reject)
          req.end()
        })
      for (const route of ['/', '/people', '/api/people', '/api/faces']) {
        const refused = await get(route, `attacker.example:${port}`)
        expect([route, refused.status]).toEqual([route, 421])
        expect(JSON.parse(refused.body).error.code).toBe('unknown_host')
        for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, 'facer.example.com']) {
          expect([route, host, (await get(route, host)).status]).toEqual([route, host, 200])
        }
      }
    } finally {
      await server.stop()
    }
  })

  it('reports a port already in use and exits', async () => {
    const first = await app.startServer()
    try {
      const port = new URL(first.url).port
      const result = spawnSync(process.execPath, [serverEntry], {
        env: { ...process.env, PORT: port, HOST: '127.0.0.1', DATA_DIR: app.data.path },
        encoding: 'utf8',
      })
      expect(result.status).toBe(1)
      expect(result.stderr).toContain('EADDRINUSE')
    } finally {
      await first.stop()
    }
  })

  it('logs each request as one JSON line: method, path without query, status, duration; never bodies', async () => {
    const server = await app.startServer()
    try {
      const json = { 'Content-Type': 'application/json' }
      expect((await fetch(`${server.url}/api/people?token=secret-query`)).status).toBe(200)
      const body = JSON.stringify({ name: 'Secret_Name' })
      expect((await fetch(`${server.url}/api/people`, { method: 'POST', headers: json, body })).status).toBe(201)
      expect((await fetch(`${server.url}/people`)).status).toBe(200)
      expect((await fetch(`${server.url}/api/nowhere`)).status).toBe(404)
      // Probes that succeed are not logged: Docker's every 30 s would drown the rest.
      expect((await fetch(`${server.url}/api/health`)).status).toBe(200)
      expect((await fetch(`${server.url}/api/health/ready`)).status).toBe(200)
      await waitForLog(server, (entry) => entry.path === '/api/nowhere')

      const requests = logEntries(server).filter((entry) => entry.msg === 'request')
      const lines = requests.map(({ method, path, status }) => `${method} ${path} ${status}`)
      expect(lines.slice(0, 2)).toEqual(['GET /api/people 200', 'POST /api/people 201'])
      // The page's server-side render asks the API for the people and the face model at once, over HTTP:
      // both are logged too, in either order, before the page itself.
      expect(lines.slice(2, 4).sort()).toEqual(['GET /api/faces 200', 'GET /api/people 200'])
      expect(lines.slice(4)).toEqual(['GET /people 200', 'GET /api/nowhere 404'])
      for (const entry of requests) {
        expect(Object.keys(entry)).toEqual(['time', 'level', 'msg', 'method', 'path', 'status', 'durationMs'])
        expect(entry.durationMs).toEqual(expect.any(Number))
      }
      const output = server.output.join('\n')
      expect(output).not.toContain('secret-query')
      expect(output).not.toContain('Secret_Name')
    } finally {
      await server.stop()
    }
  })

  it.each(['SIGTERM', 'SIGINT'] as const)('stops cleanly on %s', async (signal) => {
    const server = await app.startServer()
    expect((await fetch(`${server.url}/api/health`)).status).toBe(200)
    expect(await server.stop(signal)).toBe(0)
    expect(server.output.join('\n')).toContain('"msg":"stopped"')
  })
})

describe('PM2 cluster mode', () => {
  const app = useApp({ servers: 0, browser: false })

  it('serves the whole app from 2 workers started by ecosystem.config.js', async () => {
    const cluster = await startPm2Cluster({ DATA_DIR: app.data.path, WEB_CONCURRENCY: '2' })
    app.onClose(() => cluster.kill())
    const workers = (await cluster.workers()).map((worker) => `${worker.execMode}:${worker.status}`)
    expect(workers).toEqual(['cluster_mode:online', 'cluster_mode:online'])

    for (let i = 0; i < 6; i++) {
      expect((await fetch(`${cluster.url}/api/health`)).status).toBe(200)
      const page = await fetch(`${cluster.url}/people`)
      expect(page.status).toBe(200)
      expect(await page.text()).toContain('No one is registered yet.')
    }
  })
})
