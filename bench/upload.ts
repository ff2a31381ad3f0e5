// `npm run bench:upload [-- --seconds 30 --connections 20 --postgres]`: the upload path under load. The
// production server runs under PM2 with 2 workers (its own PM2_HOME, killed afterwards); autocannon keeps
// 20 clients uploading fixture photos (one per request, multipart field `photos`, bodies built before
// the run) to POST /api/people/:name/photos. Then every photo the server accepted is checked where it is
// stored: there, and a 320x247 JPEG. With --postgres the same run follows on a PostgreSQL backend (a
// temporary server, as the tests start one; DATABASE_URL for both workers), and the throughputs are
// compared. Prints a table, writes bench/results/upload.json.
import { randomBytes } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import pg from 'pg'
import path from 'node:path'
import { parseArgs } from 'node:util'
import autocannon from 'autocannon'
import sharp from 'sharp'
import { createTempDataDir, facesDir } from '../tests/support/data.js'
import { startPm2Cluster } from '../tests/support/pm2.js'
import { createDatabase, startPostgres } from '../tests/support/postgres.js'
import { registerPerson } from './lib/enroll.js'
import { describeMachine, recordMachine } from './lib/machine.js'
import { round, writeResults } from './lib/results.js'

const { values: args } = parseArgs({
  options: { seconds: { type: 'string', default: '30' }, connections: { type: 'string', default: '20' }, postgres: { type: 'boolean', default: false } },
})
const seconds = Number(args.seconds)
const connections = Number(args.connections)
const workers = 2
const storedSize = { width: 320, height: 247, format: 'jpeg' }

const manifest = JSON.parse(await readFile(path.join(facesDir, 'manifest.json'), 'utf8')) as { people: Record<string, string[]> }
const photos = Object.values(manifest.people).flat()
const people = Object.keys(manifest.people)

function multipartBody(file: string, bytes: Buffer): { body: Buffer; contentType: string } {
  const boundary = `facer-bench-${randomBytes(8).toString('hex')}`
  const body = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="photos"; filename="${path.basename(file)}"\r\nContent-Type: application/octet-stream\r\n\r\n`),
    bytes,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ])
  return { body, contentType: `multipart/form-data; boundary=${boundary}` }
}

async function waitUntilReady(url: string): Promise<void> {
  const deadline = Date.now() + 60_000
  while (Date.now() < deadline) {
    if ((await fetch(`${url}/api/health/ready`).catch(() => null))?.status === 200) return
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  throw new Error('The PM2 cluster did not become ready within 60 s')
}

/** The photos a backend holds, as person/name, each with its bytes: read back from where it stores them. */
type StoredPhotos = () => Promise<{ photos: Map<string, () => Promise<Buffer>>; leftovers: string[] }>

function filesOf(dataDir: string): StoredPhotos {
  return async () => {
    const photos = new Map<string, () => Promise<Buffer>>()
    const leftovers: string[] = []
    for (const person of people) {
      for (const file of await readdir(path.join(dataDir, 'users', person))) {
        if (file.startsWith('.')) leftovers.push(`${person}/${file}`)
        else photos.set(`${person}/${file}`, () => readFile(path.join(dataDir, 'users', person, file)))
      }
    }
    leftovers.push(...(await uploadTempFiles(dataDir)))
    return { photos, leftovers }
  }
}

/** The uploads folder's temp files: requests still being answered hold theirs, and remove them when done. */
const uploadTempFiles = async (dataDir: string) => (await readdir(path.join(dataDir, '.uploads')).catch(() => [])).map((name) => `.uploads/${name}`)

function tablesOf(url: string, dataDir: string): StoredPhotos {
  return async () => {
    const client = new pg.Client({ connectionString: url })
    await client.connect()
    try {
      const { rows } = await client.query<{ person: string; name: string; bytes: Buffer }>('SELECT person, name, bytes FROM photos')
      const photos = new Map(rows.map((row) => [`${row.person}/${row.name}`, async () => row.bytes]))
      return { photos, leftovers: await uploadTempFiles(dataDir) }
    } finally {
      await client.end()
    }
  }
}

/** One run against a PM2 cluster of `workers` on `env`'s backend: its figures, and whether every accepted photo is stored and valid. */
async function measure(label: string, env: { DATA_DIR: string; DATABASE_URL?: string }, stored: StoredPhotos) {
  // 20 clients from one address would meet the per-client upload limit within seconds: this measures the upload path, not the limiter.
  const cluster = await startPm2Cluster({ ...env, WEB_CONCURRENCY: String(workers), UPLOAD_RATE_LIMIT: '0' })
  try {
    await waitUntilReady(cluster.url)
    const clusterWorkers = await cluster.workers()
    for (const person of people) await registerPerson(cluster.url, person)

    /** Every photo a 201 answered with, as person/name. */
    const accepted = new Set<string>()
    const statuses: Record<string, number> = {}
    // Each person gets each fixture photo in turn: every client cycles through all of them.
    const requests = await Promise.all(
      photos.map(async (file, index) => {
        const person = people[index % people.length]!
        const { body, contentType } = multipartBody(file, await readFile(path.join(facesDir, file)))
        return {
          method: 'POST',
          path: `/api/people/${encodeURIComponent(person)}/photos`,
          headers: { 'content-type': contentType },
          body,
          onResponse(status: number, text: string) {
            statuses[status] = (statuses[status] ?? 0) + 1
            if (status !== 201) return
            const reply = JSON.parse(text) as { photos: { name: string }[]; person: { name: string } }
            for (const photo of reply.photos) accepted.add(`${reply.person.name}/${photo.name}`)
          },
        }
      }),
    )
    console.log(`${label}: ${connections} clients uploading ${photos.length} fixture photos in turn for ${seconds} s to ${workers} PM2 workers…`)
    const result = await autocannon({ url: cluster.url, connections, duration: seconds, timeout: 30, requests })
    // Requests still in flight when autocannon stopped finish on the server after it has gone: what
    // they leave is judged once they are done (their temp files gone), or after a minute.
    let found = await stored()
    for (let waited = 0; found.leftovers.length && waited < 60_000; waited += 1_000) {
      await new Promise((resolve) => setTimeout(resolve, 1_000))
      found = await stored()
    }
    const { photos: kept, leftovers } = found
    const invalid: string[] = []
    for (const [photo, bytes] of kept) {
      const meta = await sharp(await bytes()).metadata().catch(() => null)
      if (!meta || meta.width !== storedSize.width || meta.height !== storedSize.height || meta.format !== storedSize.format) invalid.push(photo)
    }
    const missing = [...accepted].filter((photo) => !kept.has(photo))
    const notAnswered = [...kept.keys()].filter((photo) => !accepted.has(photo))
    const verified = missing.length === 0 && invalid.length === 0 && leftovers.length === 0
    console.log(`  Statuses: ${JSON.stringify(statuses)}`)
    console.log(`  Stored: ${kept.size} photos, ${invalid.length} not a ${storedSize.width}x${storedSize.height} JPEG, ${missing.length} accepted but missing, ${leftovers.length} temp files left`)
    if (notAnswered.length) console.log(`  ${notAnswered.length} stored by requests still in flight when the run ended (their answers were not waited for)`)
    return {
      backend: label,
      workers: clusterWorkers,
      requests: result.requests.total,
      accepted: accepted.size,
      requestsPerSecond: round(result.requests.average, 1),
      latencyMs: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max, mean: round(result.latency.mean, 1) },
      errors: result.errors,
      timeouts: result.timeouts,
      non2xx: result.non2xx,
      statuses,
      stored: {
        photos: kept.size,
        valid: kept.size - invalid.length,
        invalid,
        acceptedMissing: missing,
        /** Stored by a request that autocannon had stopped waiting for at the end of the run. */
        storedWithoutAnswer: notAnswered.length,
        leftoverTempFiles: leftovers,
      },
      verified,
    }
  } finally {
    await cluster.kill()
  }
}

const run = recordMachine()
const runs: Awaited<ReturnType<typeof measure>>[] = []
const files = await createTempDataDir()
try {
  runs.push(await measure('files', { DATA_DIR: files.path }, filesOf(files.path)))
} finally {
  await files.remove()
}
if (args.postgres) {
  const server = await startPostgres()
  const uploads = await createTempDataDir()
  try {
    const url = await createDatabase(server.url)
    runs.push(await measure('postgres', { DATA_DIR: uploads.path, DATABASE_URL: url }, tablesOf(url, uploads.path)))
  } finally {
    await uploads.remove()
    await server.stop()
  }
}

console.table(
  runs.map((figures) => ({
    backend: figures.backend,
    requests: figures.requests,
    'req/s': figures.requestsPerSecond,
    'p50 ms': figures.latencyMs.p50,
    'p99 ms': figures.latencyMs.p99,
    'accepted (201)': figures.statuses[201] ?? 0,
    'non-2xx': figures.non2xx,
    errors: figures.errors,
    timeouts: figures.timeouts,
    'photos stored': figures.stored.photos,
    'accepted, all stored and valid': figures.verified ? 'yes' : 'NO',
  })),
)
const [onFiles, onPostgres] = runs
const ratio = onFiles && onPostgres ? round(onPostgres.requestsPerSecond / onFiles.requestsPerSecond, 2) : undefined
if (ratio !== undefined) console.log(`  PostgreSQL / files throughput: ${ratio}`)
const machine = run.finish()
if (!machine.quiet) console.log(`  The machine was busy at the start (${describeMachine(machine)}): rerun when it is quiet.`)
await writeResults('upload', machine, {
  settings: { seconds, connections, workers, photos: photos.length, people: people.length, postgres: args.postgres },
  runs,
  postgresToFilesThroughput: ratio,
  verified: runs.every((figures) => figures.verified),
})
