import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { once } from 'node:events'
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { request } from 'node:http'
import os from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { beforeAll, describe, expect, it } from 'vitest'
import { FaceModelSchema } from '../../shared/face/model.js'
import { useApp } from '../support/app.js'
import { addFixturePhotos, facesDir, listFiles, repoRoot, snapshotDir } from '../support/data.js'
import {
  clients,
  descriptorEntry,
  expectEveryUpdateKept,
  faceModelOf,
  mixedUpdates,
  personModel,
  readModelFile,
  sendUpdate,
  watchModelFile,
  type Update,
} from '../support/faces.js'
import { sendJson, type JsonReply } from '../support/http.js'
import type { RunningServer } from '../support/server.js'

const names = ['Ada Lovelace', 'Alan Turing', 'Grace Hopper', 'Katherine Johnson']
// Uploads are not counted out here: the limit has its own tests.
const serverEnv = { UPLOAD_RATE_LIMIT: '0' }

let photo: Buffer

/** One photo uploaded as a browser sends it: multipart, field "photos". */
async function upload(baseUrl: string, person: string, bytes: Buffer = photo): Promise<JsonReply> {
  const form = new FormData()
  form.append('photos', new Blob([new Uint8Array(bytes)], { type: 'image/jpeg' }), 'photo.jpg')
  const encoded = new Response(form)
  const body = Buffer.from(await encoded.arrayBuffer())
  const { hostname, port } = new URL(baseUrl)
  return new Promise((resolve, reject) => {
    const headers = { 'content-type': encoded.headers.get('content-type')!, 'content-length': body.length }
    const req = request({ hostname, port, method: 'POST', path: `/api/people/${encodeURIComponent(person)}/photos`, headers }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('error', reject)
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }))
    })
    req.on('error', reject)
    req.end(body)
  })
}

interface StoredPhotoReply {
  photos: { name: string; hash: string }[]
}

/** Every photo an upload was answered 201 for is in its person's folder, byte for byte. */
async function expectPhotosOnDisk(dataDir: string, accepted: { person: string; reply: JsonReply }[]): Promise<void> {
  for (const { person, reply } of accepted) {
    for (const stored of (reply.body as StoredPhotoReply).photos) {
      const bytes = await readFile(path.join(dataDir, 'users', person, stored.name))
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(stored.hash)
    }
  }
}

/** Files a writer leaves behind if it dies between writing and renaming: model and photo temp files. */
const isTempFile = (file: string) => /(^|\/)(faces\.json(\.bak)?\..*\.tmp|\.upload-.*)$/.test(file)

async function expectModelFilesWhole(dataDir: string): Promise<void> {
  for (const file of ['faces.json', 'faces.json.bak']) {
    FaceModelSchema.parse(JSON.parse(await readFile(path.join(dataDir, file), 'utf8')))
  }
}

async function seed(dataDir: string): Promise<void> {
  for (const name of names) await addFixturePhotos(dataDir, name, ['people/barack_obama/obama.jpg'])
  // A descriptor of each person's own: one face under two names would be flagged as a look-alike.
  const model = faceModelOf(names.map((name, index) => personModel(name, [descriptorEntry('photo-1.jpg', index + 1)])))
  for (const file of ['faces.json', 'faces.json.bak']) await writeFile(path.join(dataDir, file), JSON.stringify(model))
}

beforeAll(async () => {
  photo = await readFile(path.join(facesDir, 'people/barack_obama/obama_small.jpg'))
})

describe('two server processes on one data folder, under load and kill -9', () => {
  const app = useApp({ prepare: seed, servers: 2, env: serverEnv, browser: false })

  it('keeps every one of 100 concurrent uploads and 100 model updates, the model parsing throughout, no temp file left', async () => {
    const startModel = await readModelFile(app.data.path)
    const updates = mixedUpdates(names, 100, 'load')
    const uploads = Array.from({ length: 100 }, (_, index) => ({ person: names[index % names.length]!, server: app.servers[index % 2]! }))
    const agents = clients(8)
    const watcher = watchModelFile(app.data.path)
    const started = performance.now()

    const [uploadReplies, updateReplies] = await Promise.all([
      Promise.all(uploads.map(({ person, server }) => upload(server.url, person))),
      Promise.all(updates.map((update, index) => sendUpdate(app.servers[index % 2]!.url, update, agents[index % agents.length]))),
    ])

    const seconds = (performance.now() - started) / 1000
    const watched = await watcher.stop()
    for (const agent of agents) agent.destroy()
    expect(uploadReplies.map((reply) => reply.status)).toEqual(uploads.map(() => 201))
    await expectPhotosOnDisk(app.data.path, uploads.map(({ person }, index) => ({ person, reply: uploadReplies[index]! })))
    const files = await listFiles(app.data.path)
    for (const name of names) {
      expect(files.filter((file) => file.startsWith(`users/${name}/`))).toHaveLength(1 + 25)
    }
    const errors = app.servers.flatMap((server) => server.output.filter((line) => line.includes('"level":"error"')))
    expect(updateReplies.filter((reply) => reply.status !== 200).map((reply) => reply.body), errors.join('\n')).toEqual([])
    await expectEveryUpdateKept(app.data.path, startModel, updates, updateReplies, watched)
    await expectModelFilesWhole(app.data.path)
    expect(files.filter(isTempFile)).toEqual([])
    console.log(
      `fault injection, load: 100 uploads and 100 model updates over 2 processes in ${seconds.toFixed(1)} s; ` +
        `201 for ${uploadReplies.length} uploads, 200 for ${updateReplies.length} updates; faces.json read whole ${watched.reads} times while they ran`,
    )
  })

  it('keeps every acknowledged upload and model update when a process is killed -9 mid-stream, and starts again clean', async () => {
    const victim = app.servers[0]!
    const acknowledgedUploads: { person: string; reply: JsonReply }[] = []
    const acknowledgedUpdates: Update[] = []
    const streams = names.map(async (name, stream) => {
      for (let index = 0; ; index++) {
        const update: Update = { name, method: 'PATCH', body: { descriptors: [descriptorEntry(`killed-${stream}-${index}.jpg`, 7000 + 1000 * stream + index)], rejected: [] } }
        const [uploaded, updated] = await Promise.all([upload(victim.url, name).catch(() => undefined), sendUpdate(victim.url, update).catch(() => undefined)])
        if (uploaded?.status === 201) acknowledgedUploads.push({ person: name, reply: uploaded })
        if (updated?.status === 200) acknowledgedUpdates.push(update)
        if (!uploaded || !updated) return
      }
    })
    while (acknowledgedUploads.length + acknowledgedUpdates.length < 40) await new Promise((resolve) => setTimeout(resolve, 5))
    const exited = once(victim.process, 'exit')
    victim.process.kill('SIGKILL')
    await exited
    await Promise.all(streams)

    // What a process killed between receiving a photo and renaming it into place leaves behind.
    const orphan = path.join(app.data.path, '.uploads', `.upload-${createHash('sha256').update(os.hostname()).digest('hex').slice(0, 8)}-${victim.process.pid}-orphan.jpg`)
    await writeFile(orphan, photo.subarray(0, 100))

    await app.restartServer(0)
    await expectModelFilesWhole(app.data.path)
    await expectPhotosOnDisk(app.data.path, acknowledgedUploads)
    const afterKill = await readModelFile(app.data.path)
    for (const update of acknowledgedUpdates) {
      expect(afterKill.people.find((person) => person.name === update.name)?.descriptors).toContainEqual(update.body.descriptors[0])
    }

    // Both processes write again; the restarted one has swept the killed one's upload, the next write to the model clears the rest.
    for (const [index, name] of names.entries()) expect((await upload(app.servers[index % 2]!.url, name)).status).toBe(201)
    const next: Update = { name: names[0]!, method: 'PATCH', body: { descriptors: [descriptorEntry('after-restart.jpg', 9999)], rejected: [] } }
    // A lock the killed process held counts as stale 10 s after its last refresh: this write may wait that long.
    expect((await sendUpdate(app.servers[0]!.url, next)).status).toBe(200)
    expect((await sendUpdate(app.servers[1]!.url, { ...next, name: names[1]! })).status).toBe(200)
    expect((await listFiles(app.data.path)).filter(isTempFile)).toEqual([])
    await expectModelFilesWhole(app.data.path)
    console.log(
      `fault injection, kill -9: ${acknowledgedUploads.length} uploads and ${acknowledgedUpdates.length} model updates acknowledged ` +
        'before the kill, every one on disk and in the model after the restart',
    )
  })
})

/** How the test makes the data folder's disk full or read-only. */
interface FaultyDisk {
  kind: string
  dataDir: string
  env: Record<string, string>
  full(): Promise<void>
  readOnly(): Promise<void>
  healthy(): Promise<void>
  release(): Promise<void>
}

/** A real 8 MB tmpfs, where this test may mount one (root with CAP_SYS_ADMIN). */
function tmpfsDisk(base: string): FaultyDisk | undefined {
  const mountPoint = path.join(base, 'tmpfs')
  const filler = path.join(mountPoint, 'filler')
  const mount = (...args: string[]) => execFileSync('mount', args, { stdio: 'pipe' })
  try {
    execFileSync('mkdir', ['-p', mountPoint])
    mount('-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', mountPoint)
  } catch {
    return undefined
  }
  return {
    kind: 'a real 8 MB tmpfs, filled up, then remounted read-only',
    dataDir: path.join(mountPoint, 'data'),
    env: {},
    async full() {
      await writeFile(filler, Buffer.alloc(16 * 1024 * 1024)).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOSPC') throw err
      })
    },
    async readOnly() {
      mount('-o', 'remount,ro', mountPoint)
    },
    async healthy() {
      mount('-o', 'remount,rw', mountPoint)
      await rm(filler, { force: true })
    },
    async release() {
      execFileSync('umount', ['-l', mountPoint])
    },
  }
}

/** Elsewhere: tests/support/fs-faults.mjs, loaded into the server, fails its writes with the same errors. */
function injectedDisk(base: string): FaultyDisk {
  const switchFile = path.join(base, 'fault')
  const dataDir = path.join(base, 'data')
  const preload = pathToFileURL(path.join(repoRoot, 'tests/support/fs-faults.mjs')).href
  return {
    kind: 'writes failed by tests/support/fs-faults.mjs',
    dataDir,
    env: {
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${preload}`.trim(),
      FACER_FAULT_DIR: dataDir,
      FACER_FAULT_SWITCH: switchFile,
    },
    full: () => writeFile(switchFile, 'ENOSPC'),
    readOnly: () => writeFile(switchFile, 'EROFS'),
    healthy: () => writeFile(switchFile, ''),
    release: async () => {},
  }
}

describe('a full or read-only data folder', () => {
  // The data folder is made on the faulty disk, in the app's scratch folder, and its server started on it.
  const app = useApp({ servers: 0, env: serverEnv, browser: false })
  let disk: FaultyDisk
  let server: RunningServer
  const ada = names[0]!

  beforeAll(async () => {
    disk = tmpfsDisk(app.scratch) ?? injectedDisk(app.scratch)
    app.onClose(() => disk.release())
    await mkdir(disk.dataDir)
    await seed(disk.dataDir)
    server = await app.startServer({ ...disk.env, DATA_DIR: disk.dataDir })
    console.log(`fault injection, disk: ${disk.kind}`)
  })

  const modelPatch = (photoName: string) => ({ descriptors: [descriptorEntry(photoName, 42)], rejected: [] })

  it('answers 507 insufficient_storage to every write while the disk is full, and changes no file', async () => {
    await disk.full()
    const before = await snapshotDir(disk.dataDir)

    const person = `/api/people/${encodeURIComponent(ada)}`
    const replies = {
      upload: await upload(server.url, ada),
      snapshot: await sendJson(server.url, 'POST', `${person}/photos`, { snapshot: `data:image/jpeg;base64,${photo.toString('base64')}` }),
      patch: await sendJson(server.url, 'PATCH', `/api/faces/people/${encodeURIComponent(ada)}`, modelPatch('full.jpg')),
      put: await sendJson(server.url, 'PUT', '/api/faces', faceModelOf([])),
      // Their folders move first, their descriptors cannot follow: the folders are put back.
      rename: await sendJson(server.url, 'PATCH', person, { name: 'Ada King' }),
      deletePhoto: await sendJson(server.url, 'DELETE', `${person}/photos/photo-1.jpg`),
      deletePerson: await sendJson(server.url, 'DELETE', person),
    }

    for (const [label, reply] of Object.entries(replies)) {
      expect(reply.status, label).toBe(507)
      expect(reply.body, label).toEqual({ error: { code: 'insufficient_storage', message: expect.stringMatching(/disk is full/) } })
    }
    expect(await snapshotDir(disk.dataDir)).toEqual(before)
    await expectModelFilesWhole(disk.dataDir)

    await disk.healthy()
    expect((await upload(server.url, ada)).status).toBe(201)
    expect((await sendJson(server.url, 'PATCH', `/api/faces/people/${encodeURIComponent(ada)}`, modelPatch('after-full.jpg'))).status).toBe(200)
  })

  it('answers 503 storage_read_only to every write while the folder is read-only, still serves reads, and changes no file', async () => {
    await disk.readOnly()
    const before = await snapshotDir(disk.dataDir)
    const person = `/api/people/${encodeURIComponent(ada)}`

    const writes = {
      register: await sendJson(server.url, 'POST', '/api/people', { name: 'Mary Jackson' }),
      rename: await sendJson(server.url, 'PATCH', person, { name: 'Ada King' }),
      upload: await upload(server.url, ada),
      deletePhoto: await sendJson(server.url, 'DELETE', `${person}/photos/photo-1.jpg`),
      deletePerson: await sendJson(server.url, 'DELETE', person),
      patch: await sendJson(server.url, 'PATCH', `/api/faces/people/${encodeURIComponent(ada)}`, modelPatch('read-only.jpg')),
    }

    for (const [label, reply] of Object.entries(writes)) {
      expect(reply.status, label).toBe(503)
      expect(reply.body, label).toEqual({ error: { code: 'storage_read_only', message: expect.stringMatching(/nothing was saved/) } })
    }
    expect((await sendJson(server.url, 'GET', '/api/people')).status).toBe(200)
    expect((await sendJson(server.url, 'GET', '/api/faces')).status).toBe(200)
    expect((await sendJson(server.url, 'GET', '/api/health/ready')).status).toBe(503)
    expect(await snapshotDir(disk.dataDir)).toEqual(before)

    await disk.healthy()
    expect((await sendJson(server.url, 'POST', '/api/people', { name: 'Mary Jackson' })).status).toBe(201)
    await expectModelFilesWhole(disk.dataDir)
  })
})
