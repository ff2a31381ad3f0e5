// The face model's tests that are about the files backend itself: they change the files behind the
// API's back (a photo's bytes, a damaged faces.json) or watch faces.json and its lock while it is
// written. The rest, on both backends, is in faces.test.ts.
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { FaceModelSchema, type FaceModel } from '../../shared/face/model.js'
import { useTestApi } from '../../tests/support/api.js'
import { addFixturePhotos, listFiles } from '../../tests/support/data.js'
import {
  clients,
  descriptorEntry,
  expectEveryUpdateKept,
  faceModelOf,
  isModelTempFile,
  mixedUpdates,
  modelFileOf,
  personModel,
  readModelFile,
  sendUpdate,
  watchModelFile,
} from '../../tests/support/faces.js'
import { sendJson, type JsonReply } from '../../tests/support/http.js'

const readModelText = (dataDir: string) => readFile(modelFileOf(dataDir), 'utf8')

describe('the photos’ hashes, on the files', () => {
  const api = useTestApi(async (dataDir) => {
    await addFixturePhotos(dataDir, 'Alan Turing', ['people/rose_leslie/rose_leslie_img1.jpg'])
  })
  const send = (method: string, route: string, body?: unknown) => sendJson(api.url, method, route, body)

  it('follows a photo whose bytes changed', async () => {
    const stored = path.join(api.dataDir, 'users', 'Alan Turing', 'photo-1.jpg')
    const bytes = Buffer.from('not the same photo any more')
    await writeFile(stored, bytes)
    const res = await send('GET', '/api/faces/photos')
    const { photos } = res.body as { photos: { person: string; photo: string; hash: string }[] }
    expect(photos.find((photo) => photo.person === 'Alan Turing')?.hash).toBe(createHash('sha256').update(bytes).digest('hex'))
  })
})

describe('a damaged faces.json', () => {
  const api = useTestApi()
  const send = (method: string, route: string, body?: unknown) => sendJson(api.url, method, route, body)
  let lastSaved: FaceModel | undefined

  const damages = [
    { label: 'garbage', damage: () => 'garbage \u0000\u00ff not json' },
    { label: 'a file cut short', damage: (text: string) => text.slice(0, Math.floor(text.length / 2)) },
    { label: 'an empty file', damage: () => '' },
    { label: 'valid JSON of the wrong shape', damage: () => JSON.stringify({ version: 2, people: 'everyone' }) },
  ]

  it.each(damages)('is served from its last good version when it holds $label, and the next write repairs it', async ({ damage }) => {
    const current = FaceModelSchema.parse((await send('GET', '/api/faces')).body)
    const person = personModel(`Person ${current.generation}`, [descriptorEntry('photo-1.jpg', current.generation)])
    const written = await send('PUT', '/api/faces', { ...current, people: [...current.people, person] })
    expect(written.body).toEqual({ generation: current.generation + 1 })
    lastSaved = await readModelFile(api.dataDir)

    await writeFile(modelFileOf(api.dataDir), damage(await readModelText(api.dataDir)))

    const served = await send('GET', '/api/faces')
    expect(served.status).toBe(200)
    expect(served.body).toEqual(lastSaved)
    expect((await send('GET', '/api/faces/export')).body).toEqual(lastSaved)

    // The last good generation is still the current one: a client that read it may write.
    const repair = await send('PUT', '/api/faces', { ...lastSaved, people: [...lastSaved.people] })
    expect(repair.status).toBe(200)
    expect(repair.body).toEqual({ generation: lastSaved.generation + 1 })
    expect(await readModelFile(api.dataDir)).toMatchObject({ generation: lastSaved.generation + 1, people: lastSaved.people })
  })

  it('refuses a write based on the damaged file’s older generation', async () => {
    const current = await readModelFile(api.dataDir)
    await writeFile(modelFileOf(api.dataDir), 'garbage')
    const res = await send('PUT', '/api/faces', { ...current, generation: current.generation - 1 })
    expect(res.status).toBe(409)
    expect(res.body).toEqual({ error: { code: 'stale_model', message: expect.stringMatching(/\S/) } })
    expect(await readModelText(api.dataDir)).toBe('garbage')
  })
})

describe('concurrent per-person writes', () => {
  const names = ['Ada Lovelace', 'Alan Turing', 'Grace Hopper', 'Katherine Johnson']
  const api = useTestApi(async (dataDir) => {
    for (const name of names) await addFixturePhotos(dataDir, name, ['people/barack_obama/obama.jpg'])
  })

  it('40 PATCH and PUT requests for 4 people from 4 clients: all accepted, none lost, the file whole throughout', async () => {
    const start = faceModelOf(names.map((name) => personModel(name, [descriptorEntry('photo-1.jpg', 1)])), 0)
    expect((await sendJson(api.url, 'PUT', '/api/faces', start)).status).toBe(200)
    const startModel = await readModelFile(api.dataDir)

    const updates = mixedUpdates(names, 40)
    const agents = clients(4)
    const watcher = watchModelFile(api.dataDir)

    const replies: JsonReply[] = await Promise.all(
      updates.map((update, index) =>
        sendUpdate(api.url, update, agents[index % agents.length]),
      ),
    )

    const watched = await watcher.stop()
    for (const agent of agents) agent.destroy()
    const final = await expectEveryUpdateKept(api.dataDir, startModel, updates, replies, watched)
    expect((await sendJson(api.url, 'GET', '/api/faces')).body).toEqual(final)
    expect((await listFiles(api.dataDir)).filter(isModelTempFile)).toEqual([])
    expect(existsSync(`${modelFileOf(api.dataDir)}.lock`)).toBe(false)
  })
})
