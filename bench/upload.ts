// `npm run bench:upload [-- --seconds 30 --connections 20]`: the upload path under load. The production
// server runs under PM2 with 2 workers (its own PM2_HOME, killed afterwards); autocannon keeps 20
// clients uploading fixture photos (one per request, multipart field `photos`, bodies built before
// the run) to POST /api/users/:name/photos. Then every photo the server accepted is checked on disk:
// there, and a 320x247 JPEG. Prints a table, writes bench/results/upload.json.
import { randomBytes } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import { parseArgs } from 'node:util'
import autocannon from 'autocannon'
import sharp from 'sharp'
import { createTempDataDir, facesDir } from '../tests/support/data.js'
import { startPm2Cluster } from '../tests/support/pm2.js'
import { registerPerson } from './lib/enrol.js'
import { describeMachine, recordMachine } from './lib/machine.js'
import { round, writeResults } from './lib/results.js'

const { values: args } = parseArgs({ options: { seconds: { type: 'string', default: '30' }, connections: { type: 'string', default: '20' } } })
const seconds = Number(args.seconds)
const connections = Number(args.connections)
const workers = 2
const stored = { width: 320, height: 247, format: 'jpeg' }

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

const run = recordMachine()
const data = await createTempDataDir()
// 20 clients from one address would meet the per-client upload limit within seconds: this measures the upload path, not the limiter.
const cluster = await startPm2Cluster({ DATA_DIR: data.path, WEB_CONCURRENCY: String(workers), UPLOAD_RATE_LIMIT: '0' })
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
        path: `/api/users/${encodeURIComponent(person)}/photos`,
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
  console.log(`${connections} clients uploading ${photos.length} fixture photos in turn for ${seconds} s to ${workers} PM2 workers…`)
  const result = await autocannon({ url: cluster.url, connections, duration: seconds, timeout: 30, requests })
  // Requests still in flight when autocannon stopped may finish on the server after it has gone.
  await new Promise((resolve) => setTimeout(resolve, 2_000))

  const onDisk: string[] = []
  const leftovers: string[] = []
  for (const person of people) {
    for (const file of await readdir(path.join(data.path, 'users', person))) {
      ;(file.startsWith('.') ? leftovers : onDisk).push(`${person}/${file}`)
    }
  }
  const invalid: string[] = []
  for (const photo of onDisk) {
    const meta = await sharp(path.join(data.path, 'users', photo)).metadata().catch(() => null)
    if (!meta || meta.width !== stored.width || meta.height !== stored.height || meta.format !== stored.format) invalid.push(photo)
  }
  const diskSet = new Set(onDisk)
  const missing = [...accepted].filter((photo) => !diskSet.has(photo))
  const notAnswered = onDisk.filter((photo) => !accepted.has(photo))

  const figures = {
    requests: result.requests.total,
    accepted: accepted.size,
    requestsPerSecond: round(result.requests.average, 1),
    latencyMs: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max, mean: round(result.latency.mean, 1) },
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    statuses,
    disk: {
      photos: onDisk.length,
      valid: onDisk.length - invalid.length,
      invalid,
      acceptedMissing: missing,
      /** Stored by a request that autocannon had stopped waiting for at the end of the run. */
      storedWithoutAnswer: notAnswered.length,
      leftoverTempFiles: leftovers,
    },
  }
  const verified = missing.length === 0 && invalid.length === 0 && leftovers.length === 0
  console.table([
    {
      requests: figures.requests,
      'req/s': figures.requestsPerSecond,
      'p50 ms': figures.latencyMs.p50,
      'p99 ms': figures.latencyMs.p99,
      'accepted (201)': statuses[201] ?? 0,
      'non-2xx': figures.non2xx,
      errors: figures.errors,
      timeouts: figures.timeouts,
      'photos on disk': onDisk.length,
      'accepted, all on disk and valid': verified ? 'yes' : 'NO',
    },
  ])
  console.log(`  Statuses: ${JSON.stringify(statuses)}`)
  console.log(`  On disk: ${onDisk.length} photos, ${invalid.length} not a ${stored.width}x${stored.height} JPEG, ${missing.length} accepted but missing, ${leftovers.length} temp files left`)
  if (notAnswered.length) console.log(`  ${notAnswered.length} stored by requests still in flight when the run ended (their answers were not waited for)`)
  const machine = run.finish()
  if (!machine.quiet) console.log(`  The machine was busy at the start (${describeMachine(machine)}): rerun when it is quiet.`)
  await writeResults('upload', machine, {
    settings: { seconds, connections, workers, photos: photos.length, people: people.length },
    workers: clusterWorkers,
    ...figures,
    verified,
  })
} finally {
  await cluster.kill()
  await data.remove()
}
