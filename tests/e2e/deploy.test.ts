import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import http from 'node:http'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { promisify } from 'node:util'
import sharp from 'sharp'
import { beforeAll, describe, expect, it } from 'vitest'
import { storedHeight, storedWidth } from '../../shared/photos/limits.js'
import { useApp } from '../support/app.js'
import { facesDir, listFiles, repoRoot } from '../support/data.js'
import { register } from '../support/people.js'
import { startPm2Cluster, type Pm2Cluster } from '../support/pm2.js'
import { waitForLog } from '../support/server.js'

const run = promisify(execFile)
const photoFixture = path.join(facesDir, 'people/barack_obama/obama.jpg')

interface UploadResponse {
  status: number
  connection: string | undefined
  body: string
}

/**
 * A photo upload whose multipart body the test sends when it chooses, a few bytes at a time, so
 * that it is still arriving when the server is told to stop. It goes over a keep-alive agent,
 * as a browser's would.
 */
class SlowUpload {
  readonly response: Promise<UploadResponse>
  private readonly req: http.ClientRequest
  private readonly body: Buffer
  private sent = 0

  constructor(url: string, person: string, photo: Buffer, agent: http.Agent) {
    const boundary = `facer-${randomBytes(8).toString('hex')}`
    this.body = Buffer.concat([
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="photos"; filename="obama.jpg"\r\n` +
          'Content-Type: image/jpeg\r\n\r\n',
      ),
      photo,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ])
    this.req = http.request(`${url}/api/people/${person}/photos`, {
      method: 'POST',
      agent,
      headers: {
        'Content-Type': `multipart/form-data; boundary=${boundary}`,
        'Content-Length': this.body.length,
        // The server answers 100 Continue once it has read the headers: the request is then its own.
        Expect: '100-continue',
      },
    })
    this.response = new Promise((resolve, reject) => {
      this.req.once('error', reject)
      this.req.once('response', (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.once('error', reject)
        res.once('end', () =>
          resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, body: Buffer.concat(chunks).toString() }),
        )
      })
    })
    // Observed, so that a test expecting the request to fail does not leave a rejection unhandled.
    this.response.catch(() => {})
  }

  /** Sends the headers and resolves once the server has received them. */
  async start(): Promise<void> {
    const accepted = once(this.req, 'continue')
    this.req.flushHeaders()
    await accepted
  }

  /** Sends the body up to `fraction` of it, in 8 kB pieces with a pause between them. */
  async sendUpTo(fraction: number): Promise<void> {
    const until = Math.floor(this.body.length * fraction)
    while (this.sent < until) {
      const piece = this.body.subarray(this.sent, Math.min(this.sent + 8192, until))
      this.sent += piece.length
      await new Promise<void>((resolve, reject) => this.req.write(piece, (err) => (err ? reject(err) : resolve())))
      await sleep(20)
    }
    if (this.sent === this.body.length) this.req.end()
  }
}

describe('SIGTERM during a photo upload', () => {
  // Each test starts the server it stops; one it leaves running is stopped after them.
  const app = useApp({ servers: 0, browser: false })
  let photo: Buffer
  const agent = new http.Agent({ keepAlive: true })

  beforeAll(async () => {
    photo = await readFile(photoFixture)
    app.onClose(() => agent.destroy())
  })

  async function personFiles(person: string): Promise<string[]> {
    return listFiles(path.join(app.data.path, 'users', person))
  }

  /** A server with this shutdown bound, and an upload to it of which half the body has arrived. */
  async function halfUploaded(shutdownTimeoutMs: string, person: string) {
    const server = await app.startServer({ SHUTDOWN_TIMEOUT_MS: shutdownTimeoutMs })
    await register(server.url, person)
    const upload = new SlowUpload(server.url, person, photo, agent)
    await upload.start()
    await upload.sendUpTo(0.5)
    return { server, upload }
  }

  it('lets the upload in flight finish and store its photo, then exits 0', async () => {
    const { server, upload } = await halfUploaded('60000', 'barack_obama')

    const exitCode = server.stop('SIGTERM')
    const shutdown = await waitForLog(server, (entry) => entry.msg === 'shutting down')
    expect(shutdown).toMatchObject({ signal: 'SIGTERM', requestsInFlight: 1 })
    await upload.sendUpTo(1)

    const res = await upload.response
    expect(res.status).toBe(201)
    // Its keep-alive connection is closed after the response rather than cut while idle.
    expect(res.connection).toBe('close')
    const [stored] = (JSON.parse(res.body) as { photos: { name: string }[] }).photos
    expect(await exitCode).toBe(0)

    expect(await personFiles('barack_obama')).toEqual([stored!.name])
    const metadata = await sharp(path.join(app.data.path, 'users/barack_obama', stored!.name)).metadata()
    expect({ format: metadata.format, width: metadata.width, height: metadata.height }).toEqual({
      format: 'jpeg',
      width: storedWidth,
      height: storedHeight,
    })
  })

  it('drops an upload still arriving when the shutdown bound runs out, leaving nothing behind', async () => {
    const { server, upload } = await halfUploaded('500', 'joe_biden')

    // The rest of the body never comes: the server gives up on it and exits with 1.
    expect(await server.stop('SIGTERM')).toBe(1)
    await expect(upload.response).rejects.toThrow()
    expect(server.output.join('\n')).toContain('"msg":"forced exit: requests still running"')
    expect(await personFiles('joe_biden')).toEqual([])
  })
})

interface Traffic {
  ok: number
  failures: string[]
}

/** Requests in a loop, one at a time, alternating the health check and the home page, until stopped. */
async function requestLoop(url: string, traffic: Traffic, keepGoing: () => boolean): Promise<void> {
  for (let i = 0; keepGoing(); i++) {
    const target = i % 2 === 0 ? '/api/health' : '/'
    try {
      const res = await fetch(`${url}${target}`)
      const body = await res.text()
      const expected = target === '/' ? body.includes('</html>') : JSON.parse(body).status === 'ok'
      if (res.status === 200 && expected) traffic.ok++
      else traffic.failures.push(`GET ${target}: ${res.status} ${body.slice(0, 200)}`)
    } catch (err) {
      traffic.failures.push(`GET ${target}: ${(err as Error).message} ${String((err as Error).cause ?? '')}`)
    }
  }
}

describe('pm2 reload', () => {
  const app = useApp({ servers: 0, browser: false })
  let cluster: Pm2Cluster | undefined

  beforeAll(async () => {
    cluster = await startPm2Cluster({ DATA_DIR: app.data.path, WEB_CONCURRENCY: '2' })
    app.onClose(() => cluster?.kill())
  })

  it('replaces both workers while every request keeps succeeding', async () => {
    const before = await cluster!.workers()
    expect(before.map((worker) => worker.status)).toEqual(['online', 'online'])

    const traffic: Traffic = { ok: 0, failures: [] }
    let reloading = true
    let afterReload = 0
    const keepGoing = () => reloading || afterReload++ < 20
    // Three clients at once, so that both workers are busy while each is replaced.
    const loops = Promise.all([1, 2, 3].map(() => requestLoop(cluster!.url, traffic, keepGoing)))
    let duringReload = 0
    try {
      await cluster!.pm2('reload', 'facer')
      duringReload = traffic.ok + traffic.failures.length
    } finally {
      reloading = false
      await loops
    }

    const after = await cluster!.workers()
    expect(after.map((worker) => worker.status)).toEqual(['online', 'online'])
    expect(after.map((worker) => worker.pid).filter((pid) => before.some((old) => old.pid === pid))).toEqual([])
    expect(traffic.failures).toEqual([])
    expect(duringReload).toBeGreaterThan(0)
    console.log(`pm2 reload of 2 workers: ${traffic.ok} requests succeeded (${duringReload} while it ran), 0 failed`)
  })
})

describe('the Docker image', () => {
  const app = useApp({ servers: 0, browser: false })

  it('has a HEALTHCHECK that passes while the server listens on HOST=0.0.0.0, and fails when it does not', async () => {
    const dockerfile = (await readFile(path.join(repoRoot, 'Dockerfile'), 'utf8')).replace(/\\\n/g, ' ')
    const healthcheck = dockerfile.match(/^HEALTHCHECK .*?CMD (\[.*\])\s*$/m)?.[1]
    expect(healthcheck).toBeDefined()
    const [program, ...args] = JSON.parse(healthcheck!) as string[]
    expect(program).toBe('node')
    const server = await app.startServer({ HOST: '0.0.0.0' })
    const env = { ...process.env, PORT: new URL(server.url).port }
    await expect(run(process.execPath, args, { env })).resolves.toBeDefined()
    await server.stop()
    await expect(run(process.execPath, args, { env })).rejects.toMatchObject({ code: 1 })
  })

  it(
    'replays its runtime stage here: pruned production install, pm2-runtime, health, pages, models, WASM, an upload, training, its size',
    async () => {
      const { stdout } = await run(process.execPath, [path.join(repoRoot, 'scripts/replay-docker-runtime.mjs')], {
        cwd: repoRoot,
        maxBuffer: 10 * 1024 * 1024,
      })
      console.log(stdout)
      expect(stdout).toMatch(/node_modules installed for linux-x64-musl too: it holds @img\/sharp-linuxmusl-x64 and @img\/sharp-libvips-linuxmusl-x64/)
      expect(stdout).toContain('✓ pm2-runtime: 2 workers listening, GET /api/health 200')
      expect(stdout).toContain('✓ the HEALTHCHECK command exits 0')
      expect(stdout).toMatch(/✓ \/models\/[\d.]+\/: all 14 files the package publishes there, byte for byte, cached as immutable/)
      expect(stdout).toMatch(/✓ \/wasm\/[\d.]+\/: all 3 files the package publishes there, byte for byte, cached as immutable/)
      expect(stdout).toMatch(/✓ upload stored: DATA_DIR\/users\/barack_obama\/\S+\.jpg/)
      expect(stdout).toContain('✓ npm run train: barack_obama trained from the stored photo')
      expect(stdout).toMatch(/✓ within issue 21's sizes: node_modules [\d.]+ ≤ 100 MB, image [\d.]+ ≤ 300 MB/)
      expect(stdout).toContain('2 workers stopped gracefully')
      expect(stdout).toMatch(/replay: ok\n/)
      const folder = stdout.match(/removed (\S+)/)?.[1]
      expect(folder && existsSync(folder)).toBe(false)
    },
    300_000,
  )
})
