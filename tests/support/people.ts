import { readdir, readFile } from 'node:fs/promises'
import type { Agent } from 'node:http'
import path from 'node:path'
import pg from 'pg'
import { expect } from 'vitest'
import { nameKey } from '../../shared/people/names.js'
import { FaceModelSchema, type FaceModel } from '../../shared/face/model.js'
import { databaseOf } from './api.js'
import { facesDir } from './data.js'
import { clients, descriptorEntry } from './faces.js'
import { sendJson, type JsonReply } from './http.js'

/**
 * Where the requests of a race go: the first to `urls[0]`, the second to `urls[1]` (one server
 * twice, or two server processes on one data folder), each from its own client.
 */
export interface Arena {
  dataDir: string
  urls: [string, string]
}

const route = (name: string) => `/api/people/${encodeURIComponent(name)}`
const entryRoute = (name: string) => `/api/faces/people/${encodeURIComponent(name)}`

/** The first column of a query's rows, on the database an API serves instead of `dataDir` (see databaseOf). */
async function column(url: string, sql: string, values: unknown[] = []): Promise<string[]> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return (await client.query<{ value: string }>(sql, values)).rows.map((row) => row.value)
  } finally {
    await client.end()
  }
}

/** The names registered, as their folders (or the people table) show them. */
export async function registered(dataDir: string): Promise<string[]> {
  const database = databaseOf(dataDir)
  if (database) return (await column(database, 'SELECT name AS value FROM people')).sort()
  const entries = await readdir(path.join(dataDir, 'users'), { withFileTypes: true }).catch(() => [])
  return entries.filter((entry) => entry.isDirectory() && !entry.name.startsWith('.')).map((entry) => entry.name).sort()
}

/** Hidden files and folders under DATA_DIR/users (temp files, deleted folders) and every file in DATA_DIR/.uploads: none once requests are done. */
export async function leftovers(dataDir: string): Promise<string[]> {
  const users = await readdir(path.join(dataDir, 'users'), { recursive: true }).catch(() => [])
  const uploads = await readdir(path.join(dataDir, '.uploads')).catch(() => [])
  const hidden = users.filter((file) => file.split(path.sep).some((part) => part.startsWith('.')))
  return [...hidden.map((file) => path.join('users', file)), ...uploads.map((name) => path.join('.uploads', name))]
}

async function photosOf(dataDir: string, name: string): Promise<string[]> {
  const database = databaseOf(dataDir)
  if (database) return (await column(database, 'SELECT name AS value FROM photos WHERE person = $1', [name])).sort()
  return (await readdir(path.join(dataDir, 'users', name)).catch(() => [])).sort()
}

async function modelOf(url: string): Promise<FaceModel> {
  return FaceModelSchema.parse((await sendJson(url, 'GET', '/api/faces')).body)
}

const entryOf = (model: FaceModel, name: string) => model.people.find((person) => person.name === name)

function expectStatus(reply: JsonReply, status: number, code?: string): void {
  expect(reply.status, JSON.stringify(reply.body)).toBe(status)
  if (code) expect(reply.body).toEqual({ error: { code, message: expect.stringMatching(/\S/) } })
}

/** Runs races in `rounds` rounds, each from two clients of their own. */
export async function inRounds(rounds: number, race: (round: number, agents: [Agent, Agent]) => Promise<void>): Promise<void> {
  const agents = clients(2) as [Agent, Agent]
  try {
    for (let round = 0; round < rounds; round++) await race(round, agents)
  } finally {
    for (const agent of agents) agent.destroy()
  }
}

/** Registers a person with one photo and one descriptor for it, through the API. */
export async function registerWithDescriptor(url: string, name: string, seed: number): Promise<void> {
  expectStatus(await sendJson(url, 'POST', '/api/people', { name }), 201)
  const uploaded = await upload(url, name)
  expectStatus(uploaded, 201)
  const [stored] = (uploaded.body as { photos: { name: string }[] }).photos
  expectStatus(await sendJson(url, 'PUT', entryRoute(name), { descriptors: [descriptorEntry(stored!.name, seed)], rejected: [] }), 200)
}

/** A fixture photo (a path relative to fixtures/faces), or bytes of a test's own under a file name. */
export type PhotoFile = string | { file: string; bytes: Buffer }

/** Registers a person through the API, and uploads these photos for them: the names they are stored under. */
export async function register(url: string, name: string, photos: PhotoFile[] = []): Promise<string[]> {
  expectStatus(await sendJson(url, 'POST', '/api/people', { name }), 201)
  return photos.length ? uploadPhotos(url, name, photos) : []
}

/** Photos uploaded in one request, as a browser sends them: the names they are stored under. */
export async function uploadPhotos(url: string, name: string, photos: PhotoFile[]): Promise<string[]> {
  const form = new FormData()
  for (const photo of photos) {
    const { file, bytes } = typeof photo === 'string' ? { file: photo, bytes: await readFile(path.join(facesDir, photo)) } : photo
    form.append('photos', new Blob([new Uint8Array(bytes)]), path.basename(file))
  }
  const res = await fetch(`${url}${route(name)}/photos`, { method: 'POST', body: form })
  const body = (await res.json()) as { photos: { name: string }[] }
  expect(res.status, JSON.stringify(body)).toBe(201)
  return body.photos.map((stored) => stored.name)
}

let photo: Buffer | undefined

/** A small fixture photo, `count` times in one request, uploaded as a browser sends it. */
export async function upload(url: string, name: string, count = 1): Promise<JsonReply> {
  photo ??= await readFile(path.join(facesDir, 'people/barack_obama/obama_small.jpg'))
  const form = new FormData()
  for (let index = 0; index < count; index++) form.append('photos', new Blob([new Uint8Array(photo)], { type: 'image/jpeg' }), `photo-${index}.jpg`)
  const res = await fetch(`${url}${route(name)}/photos`, { method: 'POST', body: form })
  return { status: res.status, headers: {}, body: await res.json() }
}

/** Four spellings of one name that differ in case, and one in full-width letters: one of them is registered. */
export async function raceCaseVariants({ dataDir, urls }: Arena, round: number, agents: [Agent, Agent]): Promise<void> {
  const plain = `Race${round}`
  const fullWidth = [...plain].map((char) => String.fromCodePoint(char.codePointAt(0)! + 0xfee0)).join('')
  const spellings = [plain, plain.toLowerCase(), plain.toUpperCase(), `r${plain.slice(1).toUpperCase()}`, fullWidth]

  const replies = await Promise.all(spellings.map((name, index) => sendJson(urls[index % 2]!, 'POST', '/api/people', { name }, agents[index % 2])))

  expect(replies.map((reply) => reply.status).sort()).toEqual([201, 409, 409, 409, 409])
  for (const reply of replies.filter((candidate) => candidate.status === 409)) expectStatus(reply, 409, 'name_taken')
  const winner = spellings[replies.findIndex((reply) => reply.status === 201)]!
  expect((await registered(dataDir)).filter((name) => nameKey(name) === nameKey(plain))).toEqual([winner])
}

/**
 * Two people renamed to one name at once: one rename is refused with 409, and both people keep
 * their photos and descriptors (the second has none when `secondEmpty`).
 */
export async function raceRenamesToOneName(
  { dataDir, urls }: Arena,
  round: number,
  agents: [Agent, Agent],
  secondEmpty: boolean,
): Promise<void> {
  const [one, other, target] = [`One ${round}`, `Other ${round}`, `Target ${round}`]
  await registerWithDescriptor(urls[0], one, 100 + round)
  if (secondEmpty) expectStatus(await sendJson(urls[0], 'POST', '/api/people', { name: other }), 201)
  else await registerWithDescriptor(urls[0], other, 200 + round)
  const before = { [one]: await photosOf(dataDir, one), [other]: await photosOf(dataDir, other) }
  const modelBefore = await modelOf(urls[0])

  const replies = await Promise.all(
    [one, other].map((name, index) => sendJson(urls[index]!, 'PATCH', route(name), { name: target }, agents[index])),
  )

  expect(replies.map((reply) => reply.status).sort()).toEqual([200, 409])
  const [winner, loser] = replies[0]!.status === 200 ? [one, other] : [other, one]
  expectStatus(replies[winner === one ? 1 : 0]!, 409, 'name_taken')
  const names = await registered(dataDir)
  expect(names).toContain(target)
  expect(names).toContain(loser)
  expect(names).not.toContain(winner)
  expect(await photosOf(dataDir, target)).toEqual(before[winner])
  expect(await photosOf(dataDir, loser)).toEqual(before[loser])
  const model = await modelOf(urls[1])
  expect(entryOf(model, target)?.descriptors).toEqual(entryOf(modelBefore, winner)?.descriptors)
  expect(entryOf(model, loser)).toEqual(entryOf(modelBefore, loser))
  expect(entryOf(model, winner)).toBeUndefined()
  expect(await leftovers(dataDir)).toEqual([])
}

/** A name registered while someone is renamed to it: one of the two is refused with 409. */
export async function raceCreateAndRename({ dataDir, urls }: Arena, round: number, agents: [Agent, Agent]): Promise<void> {
  const [existing, target] = [`Existing ${round}`, `Wanted ${round}`]
  await registerWithDescriptor(urls[0], existing, 300 + round)

  const [created, renamed] = await Promise.all([
    sendJson(urls[0], 'POST', '/api/people', { name: target.toUpperCase() }, agents[0]),
    sendJson(urls[1], 'PATCH', route(existing), { name: target }, agents[1]),
  ])

  expect([created.status, renamed.status].sort()).toEqual(created.status === 201 ? [201, 409] : [200, 409])
  const loser = created.status === 201 ? renamed : created
  expectStatus(loser, 409, 'name_taken')
  const names = (await registered(dataDir)).filter((name) => nameKey(name) === nameKey(target))
  expect(names).toEqual([created.status === 201 ? target.toUpperCase() : target])
  expect(await registered(dataDir)).toContain(created.status === 201 ? existing : target)
}

/**
 * A person deleted while they are renamed: one request wins, the other gets a clean 404, and
 * their descriptors are either under the new name with their folder, or gone with it.
 */
export async function raceDeleteAndRename({ dataDir, urls }: Arena, round: number, agents: [Agent, Agent]): Promise<void> {
  const [name, renamedTo] = [`Leaving ${round}`, `Staying ${round}`]
  await registerWithDescriptor(urls[0], name, 400 + round)
  const photos = await photosOf(dataDir, name)
  const descriptors = entryOf(await modelOf(urls[0]), name)?.descriptors

  const [deleted, renamed] = await Promise.all([
    sendJson(urls[0], 'DELETE', route(name), undefined, agents[0]),
    sendJson(urls[1], 'PATCH', route(name), { name: renamedTo }, agents[1]),
  ])

  const model = await modelOf(urls[0])
  expect(entryOf(model, name)).toBeUndefined()
  expect(await registered(dataDir)).not.toContain(name)
  if (deleted.status === 204) {
    expectStatus(renamed, 404, 'person_not_found')
    expect(await registered(dataDir)).not.toContain(renamedTo)
    expect(entryOf(model, renamedTo)).toBeUndefined()
  } else {
    expectStatus(renamed, 200)
    expectStatus(deleted, 404, 'person_not_found')
    expect(await photosOf(dataDir, renamedTo)).toEqual(photos)
    expect(entryOf(model, renamedTo)?.descriptors).toEqual(descriptors)
  }
  expect(await leftovers(dataDir)).toEqual([])
}

export interface Training {
  /** PUT replaces the entry, PATCH adds to it: several PATCHes are sent at once, one PUT. */
  method: 'PUT' | 'PATCH'
  /** Rename the person to this (and the round) instead of deleting them. */
  renameTo?: string
}

/**
 * A person deleted or renamed while training writes their descriptors: no entry is left under a
 * name nobody has, and after a rename the new name has every descriptor that was accepted.
 */
export async function raceTrainingAndRemoval({ dataDir, urls }: Arena, round: number, agents: [Agent, Agent], { method, renameTo }: Training): Promise<void> {
  const name = `Trained ${round}`
  const newName = `${renameTo} ${round}`
  expectStatus(await sendJson(urls[0], 'POST', '/api/people', { name }), 201)
  const entries = Array.from({ length: method === 'PUT' ? 1 : 3 }, (_, index) => ({
    descriptors: [descriptorEntry(`trained-${round}-${index}.jpg`, 500 + round * 10 + index)],
    rejected: [],
  }))

  const [removed, ...trained] = await Promise.all([
    renameTo
      ? sendJson(urls[0], 'PATCH', route(name), { name: newName }, agents[0])
      : sendJson(urls[0], 'DELETE', route(name), undefined, agents[0]),
    ...entries.map((entry) => sendJson(urls[1], method, entryRoute(name), entry, agents[1])),
  ])

  expectStatus(removed, renameTo ? 200 : 204)
  for (const reply of trained) if (reply.status !== 200) expectStatus(reply, 404, 'person_not_found')
  const model = await modelOf(urls[1])
  expect(entryOf(model, name)).toBeUndefined()
  if (renameTo) {
    const accepted = entries.filter((_, index) => trained[index]!.status === 200).flatMap((entry) => entry.descriptors)
    const byPhoto = (a: { photo: string }, b: { photo: string }) => a.photo.localeCompare(b.photo)
    expect([...(entryOf(model, newName)?.descriptors ?? [])].sort(byPhoto)).toEqual(accepted.sort(byPhoto))
  }
  expect(await registered(dataDir)).not.toContain(name)
  expect(await leftovers(dataDir)).toEqual([])
}

/** A photo uploaded while its person is deleted: it is stored and deleted with them, or refused with 404; nothing is left over. */
export async function raceUploadAndDelete({ dataDir, urls }: Arena, round: number, agents: [Agent, Agent]): Promise<void> {
  const name = `Uploading ${round}`
  expectStatus(await sendJson(urls[0], 'POST', '/api/people', { name }), 201)

  const [deleted, uploaded] = await Promise.all([sendJson(urls[0], 'DELETE', route(name), undefined, agents[0]), upload(urls[1], name)])

  expectStatus(deleted, 204)
  if (uploaded.status !== 201) expectStatus(uploaded, 404, 'person_not_found')
  expect(await registered(dataDir)).not.toContain(name)
  expect(await leftovers(dataDir)).toEqual([])
}

/**
 * Three photos uploaded while their person is renamed: all are stored and listed under the new
 * name, or none is stored (404); no temp file is left in any folder.
 */
export async function raceUploadAndRename({ dataDir, urls }: Arena, round: number, agents: [Agent, Agent]): Promise<void> {
  const [name, newName] = [`Uploaded ${round}`, `Moved ${round}`]
  expectStatus(await sendJson(urls[0], 'POST', '/api/people', { name }), 201)

  const [renamed, uploaded] = await Promise.all([
    sendJson(urls[0], 'PATCH', route(name), { name: newName }, agents[0]),
    upload(urls[1], name, 3),
  ])

  expectStatus(renamed, 200)
  if (uploaded.status !== 201) expectStatus(uploaded, 404, 'person_not_found')
  const stored = uploaded.status === 201 ? (uploaded.body as { photos: { name: string }[] }).photos.map((photo) => photo.name) : []
  expect(await photosOf(dataDir, newName)).toEqual(stored.sort())
  expect(await registered(dataDir)).not.toContain(name)
  expect(await leftovers(dataDir)).toEqual([])
}
