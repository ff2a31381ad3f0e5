// Two app hosts (two Node processes on their own ports and data folders) on one PostgreSQL database,
// as behind a load balancer: whatever goes to either, the data stays whole and the same for both.
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { FaceModelSchema, type FaceModel } from '../../shared/face/model.js'
import { PeopleResponseSchema, type Person } from '../../api/people/schema.js'
import { facesDir } from '../support/data.js'
import { descriptorEntry } from '../support/faces.js'
import { startHost, type Host } from '../support/hosts.js'
import { freePort } from '../support/ports.js'
import { createDatabase } from '../support/postgres.js'

const adminPassword = 'two hosts share one database'
const env = { ADMIN_PASSWORD: adminPassword, LOGIN_RATE_LIMIT: '4', UPLOAD_RATE_LIMIT: '0' }
const photoFiles = ['people/barack_obama/obama_small.jpg', 'people/joe_biden/biden.jpg', 'people/barack_obama/obama.jpg']
// Every upload is searched for its face by the host (a second or so on 2 busy cores).
const slow = { timeout: 240_000 }

interface Reply {
  status: number
  body: unknown
}

async function call(url: string, method: string, route: string, cookie: string, body?: unknown): Promise<Reply> {
  const headers: Record<string, string> = { cookie }
  if (body !== undefined) headers['content-type'] = 'application/json'
  const res = await fetch(`${url}${route}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })
  const text = await res.text()
  return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined }
}

async function signIn(url: string, password: string, client = '127.0.0.1'): Promise<{ status: number; cookie: string }> {
  const res = await fetch(`${url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': client },
    body: JSON.stringify({ password }),
  })
  return { status: res.status, cookie: (res.headers.get('set-cookie') ?? '').split(';')[0]! }
}

let photos: Buffer[] = []

async function upload(url: string, cookie: string, name: string, index: number): Promise<Reply & { names: string[] }> {
  const form = new FormData()
  form.append('photos', new Blob([new Uint8Array(photos[index % photos.length]!)], { type: 'image/jpeg' }), `shot-${index}.jpg`)
  const res = await fetch(`${url}/api/people/${encodeURIComponent(name)}/photos`, { method: 'POST', headers: { cookie }, body: form })
  const body = (await res.json()) as { photos?: { name: string }[] }
  return { status: res.status, body, names: (body.photos ?? []).map((photo) => photo.name) }
}

const personRoute = (name: string) => `/api/people/${encodeURIComponent(name)}`
const entryRoute = (name: string) => `/api/faces/people/${encodeURIComponent(name)}`

async function people(url: string, cookie: string): Promise<Person[]> {
  return PeopleResponseSchema.parse((await call(url, 'GET', '/api/people', cookie)).body).people
}

async function model(url: string, cookie: string): Promise<FaceModel> {
  return FaceModelSchema.parse((await call(url, 'GET', '/api/faces', cookie)).body)
}

/**
 * Both hosts answer the same people and model; every model entry is a registered person's, every
 * descriptor and rejection one of their photos', and every listed photo is served.
 */
async function expectConsistent(hosts: Host[], cookie: string): Promise<{ people: Person[]; model: FaceModel }> {
  const [first, ...others] = hosts
  const state = { people: await people(first!.url, cookie), model: await model(first!.url, cookie) }
  for (const host of others) {
    expect(await people(host.url, cookie)).toEqual(state.people)
    expect(await model(host.url, cookie)).toEqual(state.model)
  }
  const photosOf = new Map(state.people.map((person) => [person.name, new Set(person.photos.map((photo) => photo.name))]))
  for (const entry of state.model.people) {
    const stored = photosOf.get(entry.name)
    expect(stored, `the model entry of ${entry.name}, who is not registered`).toBeDefined()
    for (const { photo } of [...entry.descriptors, ...entry.rejected]) expect(stored!.has(photo), `${entry.name}'s ${photo}`).toBe(true)
  }
  for (const person of state.people) {
    for (const photo of person.photos) {
      const res = await fetch(`${hosts[photo.name.length % hosts.length]!.url}${photo.url}`, { headers: { cookie } })
      expect(res.status, photo.url).toBe(200)
      expect(res.headers.get('content-type')).toBe('image/jpeg')
      expect(res.headers.get('cache-control')).toBe('private, no-cache')
    }
  }
  return state
}

describe('two app hosts on one PostgreSQL database', slow, () => {
  let hosts: [Host, Host]
  let cookie = ''
  let databaseUrl = ''
  const url = (index: number) => hosts[index % 2]!.url

  beforeAll(async () => {
    photos = await Promise.all(photoFiles.map((file) => readFile(path.join(facesDir, file))))
    databaseUrl = await createDatabase(inject('postgresUrl'))
    hosts = (await Promise.all([startHost({ ...env, DATABASE_URL: databaseUrl }), startHost({ ...env, DATABASE_URL: databaseUrl })])) as [Host, Host]
    const signedIn = await signIn(hosts[0].url, adminPassword)
    expect(signedIn.status).toBe(200)
    cookie = signedIn.cookie
  })
  afterAll(async () => {
    await Promise.all((hosts ?? []).map((host) => host.stop()))
  })

  it('honors a session made on one host on the other, and refuses it on both once signed out on one', async () => {
    const session = await signIn(url(1), adminPassword)
    expect(session.status).toBe(200)
    expect((await call(url(0), 'GET', '/api/people', session.cookie)).status).toBe(200)
    expect((await call(url(0), 'POST', '/api/auth/logout', session.cookie)).status).toBe(204)
    expect((await call(url(1), 'GET', '/api/people', session.cookie)).status).toBe(401)
    expect((await call(url(0), 'GET', '/api/people', session.cookie)).status).toBe(401)
  })

  it('counts failed sign-ins once for both hosts: the limit is reached across them, not on each', async () => {
    // Without TRUST_PROXY the client is the socket's address: the same loopback address on both hosts.
    const tries = [await signIn(url(0), 'wrong 1'), await signIn(url(1), 'wrong 2'), await signIn(url(0), 'wrong 3'), await signIn(url(1), 'wrong 4')]
    expect(tries.map((reply) => reply.status)).toEqual([401, 401, 401, 401])
    expect((await signIn(url(0), adminPassword)).status).toBe(429)
    expect((await signIn(url(1), adminPassword)).status).toBe(429)
  })

  it('loses nothing to concurrent uploads, trainings, renames and deletes through both, and leaves no orphan descriptor', async () => {
    const rounds = 4
    const expected = new Map<string, { photos: Set<string>; descriptors: Set<string> }>()
    for (let round = 0; round < rounds; round++) {
      const name = `Round ${round}`
      expect((await call(url(round), 'POST', '/api/people', cookie, { name })).status).toBe(201)
      const uploads = await Promise.all([0, 1, 2].map((index) => upload(url(index), cookie, name, round * 3 + index)))
      expect(uploads.map((reply) => reply.status)).toEqual([201, 201, 201])
      const stored = uploads.flatMap((reply) => reply.names)
      // Trainings of this round's person, a rename of them, and the deletion of the previous round's, all at once.
      const previous = round > 0 ? `Round ${round - 1} renamed` : undefined
      const [trainings, renamed, deleted] = await Promise.all([
        Promise.all(stored.map((photo, index) => call(url(index), 'PATCH', entryRoute(name), cookie, { descriptors: [descriptorEntry(photo, round * 10 + index)], rejected: [], remove: [] }))),
        call(url(round + 1), 'PATCH', personRoute(name), cookie, { name: `${name} renamed` }),
        previous ? call(url(round), 'DELETE', personRoute(previous), cookie) : Promise.resolve({ status: 204, body: undefined }),
      ])
      expect(renamed.status).toBe(200)
      expect(deleted.status).toBe(204)
      if (previous) expected.delete(previous)
      for (const reply of trainings) expect([200, 404]).toContain(reply.status)
      const trained = stored.filter((_photo, index) => trainings[index]!.status === 200)
      expected.set(`${name} renamed`, { photos: new Set(stored), descriptors: new Set(trained) })
    }
    const { people: listed, model: final } = await expectConsistent(hosts, cookie)
    expect(listed.map((person) => person.name).sort()).toEqual([...expected.keys()].sort())
    for (const [name, { photos: uploaded, descriptors }] of expected) {
      expect(new Set(listed.find((person) => person.name === name)!.photos.map((photo) => photo.name))).toEqual(uploaded)
      const entry = final.people.find((person) => person.name === name)
      expect(new Set(entry?.descriptors.map((descriptor) => descriptor.photo) ?? [])).toEqual(descriptors)
    }
  })

  it('keeps the data whole when a host is killed with SIGKILL in the middle of requests', async () => {
    const doomed = await startHost({ ...env, DATABASE_URL: databaseUrl })
    const name = 'Killed midway'
    expect((await call(doomed.url, 'POST', '/api/people', cookie, { name })).status).toBe(201)
    // Each answers with the photos it stored, if it was answered at all.
    const started = Array.from({ length: 6 }, (_, index) =>
      index % 2
        ? upload(doomed.url, cookie, name, index).then((reply) => (reply.status === 201 ? reply.names : []), () => [])
        : call(doomed.url, 'PUT', entryRoute(name), cookie, { descriptors: [], rejected: [] }).then(() => [], () => []),
    )
    // The first answer means the others are on their way: the host dies among them.
    await Promise.race(started)
    await doomed.stop('SIGKILL')
    const stored = (await Promise.all(started)).flat()
    const { people: listed } = await expectConsistent(hosts, cookie)
    const kept = new Set(listed.find((person) => person.name === name)!.photos.map((photo) => photo.name))
    for (const photo of stored) expect(kept.has(photo), photo).toBe(true)
  })
})

describe('a host whose database is down', () => {
  it('is not ready (503 not_ready), however writable its data folder, and says why', async () => {
    const closed = new URL(inject('postgresUrl'))
    closed.port = String(await freePort())
    const host = await startHost({ DATABASE_URL: closed.href })
    try {
      const res = await fetch(`${host.url}/api/health/ready`)
      expect(res.status).toBe(503)
      expect(await res.json()).toEqual({ error: { code: 'not_ready', message: 'The server cannot reach its database (DATABASE_URL)' } })
      expect((await fetch(`${host.url}/api/health`)).status).toBe(200)
    } finally {
      await host.stop()
    }
  })
})
