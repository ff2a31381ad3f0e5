import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { FaceModelSchema } from '../../shared/face/model.js'
import { useTestApi, type TestApi } from '../../tests/support/api.js'
import { addFixturePhotos, facesDir } from '../../tests/support/data.js'
import { descriptorEntry, faceModelOf, personModel, rejectedPhoto, seededDescriptor } from '../../tests/support/faces.js'
import { sendJson } from '../../tests/support/http.js'
import { register } from '../../tests/support/people.js'
import { storedFiles, storedModel, storedModelText } from '../../tests/support/stored.js'

const errorBody = (code: string) => ({ error: { code, message: expect.stringMatching(/\S/) } })

interface Call {
  method: string
  route: string
  /** JSON, or a string sent as it is. */
  body?: unknown
}
const put = (route: string, body: unknown): Call => ({ method: 'PUT', route, body })
const patch = (route: string, body: unknown): Call => ({ method: 'PATCH', route, body })
const del = (route: string): Call => ({ method: 'DELETE', route })

/** Table rows that are all refused the same way: a label for each request. */
const refused = (status: number, code: string, calls: Record<string, Call>) =>
  Object.entries(calls).map(([label, call]) => ({ label, call, status, code }))

/** Sends a request the API must refuse with this status and code, leaving faces.json byte for byte as it was. */
async function expectRefusedLeavingModel(api: TestApi, { method, route, body }: Call, status: number, code: string): Promise<void> {
  const before = await storedModelText(api.dataDir)
  const res = await sendJson(api.url, method, route, body)
  expect(res.status).toBe(status)
  expect(res.body).toEqual(errorBody(code))
  expect(await storedModelText(api.dataDir)).toBe(before)
}

describe('the face model: reading and writing it whole', () => {
  const api = useTestApi()
  const send = (method: string, route: string, body?: unknown) => sendJson(api.url, method, route, body)
  const getModel = async () => FaceModelSchema.parse((await send('GET', '/api/faces')).body)

  const ada = personModel('Ada', [descriptorEntry('a1.jpg', 1)], [rejectedPhoto('a2.jpg')])
  const alan = personModel('Alan', [descriptorEntry('t1.jpg', 2), descriptorEntry('t2.jpg', 3)])

  it('is empty at generation 0 on an empty data folder, and reading it writes nothing', async () => {
    const res = await send('GET', '/api/faces')
    expect(res.status).toBe(200)
    expect(res.headers['cache-control']).toBe('no-store')
    expect(res.body).toEqual({ version: 1, generation: 0, updatedAt: expect.any(String), people: [] })
    expect(await storedFiles(api.dataDir)).toEqual([])
  })

  it('saves a whole model written at the current generation, as the next generation', async () => {
    const res = await send('PUT', '/api/faces', faceModelOf([ada, alan], 0))
    expect(res.status).toBe(200)
    expect(res.body).toEqual({ generation: 1 })

    const saved = await storedModel(api.dataDir)
    expect(saved).toMatchObject({ version: 1, generation: 1, people: [ada, alan] })
    expect(Date.parse(saved.updatedAt)).toBeGreaterThan(Date.parse('2024-01-01T00:00:00.000Z'))
    expect(await getModel()).toEqual(saved)
  })

  it.each([
    { label: 'the generation before', generation: 0 },
    { label: 'a generation still to come', generation: 2 },
  ])('refuses a whole model written at $label with 409 stale_model, leaving the file as it was', async ({ generation }) => {
    await expectRefusedLeavingModel(api, put('/api/faces', faceModelOf([alan], generation)), 409, 'stale_model')
  })

  const good = faceModelOf([ada], 1)
  const models = (code: string, bodies: Record<string, unknown>) => Object.entries(bodies).map(([label, body]) => ({ label, body, code }))
  it.each([
    ...models('invalid_model', {
      'version 2': { ...good, version: 2 },
      'a negative generation': { ...good, generation: -1 },
      'no people': { version: 1, generation: 1, updatedAt: good.updatedAt },
      'a descriptor that is not base64': { ...good, people: [{ ...ada, descriptors: [{ ...ada.descriptors[0], descriptor: 'nope' }] }] },
      'a legacy descriptor of 127 numbers': [{ user: 'Ada', descriptors: [{ path: 'a.jpg', descriptor: Array.from(seededDescriptor(1)).slice(1) }] }],
    }),
    ...models('invalid_json', {
      'a JSON string': JSON.stringify('faces'),
      'malformed JSON': '{"version": 1,',
    }),
  ])('refuses a model with $label with 400 $code, leaving the file as it was', async ({ body, code }) => {
    await expectRefusedLeavingModel(api, put('/api/faces', body), 400, code)
  })

  it('imports the reference app’s faces.json, replacing the model, as the next generation', async () => {
    const legacy = [
      {
        user: 'Grace',
        descriptors: [{ path: 'data/users/Grace/1.jpg', descriptor: JSON.parse(JSON.stringify(seededDescriptor(5))) }],
      },
    ]
    const res = await send('PUT', '/api/faces', legacy)
    expect(res.status).toBe(200)
    expect(res.body).toEqual({ generation: 2 })
    const model = await storedModel(api.dataDir)
    expect(model.generation).toBe(2)
    expect(model.people).toEqual([
      { name: 'Grace', rejected: [], descriptors: [{ ...descriptorEntry('1.jpg', 5), hash: '', detector: 'unknown', box: null }] },
    ])
  })

  it('exports the model as a faces.json download', async () => {
    const res = await fetch(`${api.url}/api/faces/export`)
    expect(res.status).toBe(200)
    // RFC 6266 allows the name as a token or quoted; Express 5 sends the token form.
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename=(faces\.json|"faces\.json")$/)
    expect(res.headers.get('content-type')).toMatch(/^application\/json/)
    expect(await res.json()).toEqual(await storedModel(api.dataDir))
  })
})

describe('the face model: one person at a time', () => {
  const api = useTestApi(async (dataDir) => {
    await addFixturePhotos(dataDir, 'Ada Lovelace', ['people/barack_obama/obama.jpg', 'people/joe_biden/biden.jpg'])
    await addFixturePhotos(dataDir, 'Alan Turing', ['people/rose_leslie/rose_leslie_img1.jpg'])
  })
  const send = (method: string, route: string, body?: unknown) => sendJson(api.url, method, route, body)
  const personIn = async (name: string) => (await storedModel(api.dataDir)).people.find((person) => person.name === name)

  it('lists every stored photo with the SHA-256 of its bytes', async () => {
    const sha256 = async (file: string) => createHash('sha256').update(await readFile(file)).digest('hex')
    const res = await send('GET', '/api/faces/photos')
    expect(res.status).toBe(200)
    expect(res.body).toEqual({
      photos: [
        { person: 'Ada Lovelace', photo: 'photo-1.jpg', hash: await sha256(path.join(facesDir, 'people/barack_obama/obama.jpg')) },
        { person: 'Ada Lovelace', photo: 'photo-2.jpg', hash: await sha256(path.join(facesDir, 'people/joe_biden/biden.jpg')) },
        {
          person: 'Alan Turing',
          photo: 'photo-1.jpg',
          hash: await sha256(path.join(facesDir, 'people/rose_leslie/rose_leslie_img1.jpg')),
        },
      ],
    })
  })

  it('replaces one person’s entry with PUT, leaving everyone else’s', async () => {
    const alan = { descriptors: [descriptorEntry('photo-1.jpg', 20)], rejected: [] }
    expect((await send('PUT', '/api/faces/people/Alan%20Turing', alan)).body).toEqual({ generation: 1, flagged: [] })

    const first = { descriptors: [descriptorEntry('photo-1.jpg', 10)], rejected: [rejectedPhoto('photo-2.jpg')] }
    expect((await send('PUT', '/api/faces/people/Ada%20Lovelace', first)).body).toEqual({ generation: 2, flagged: [] })
    const second = { descriptors: [descriptorEntry('photo-2.jpg', 11)], rejected: [] }
    const res = await send('PUT', '/api/faces/people/Ada%20Lovelace', second)
    expect(res.status).toBe(200)
    expect(res.body).toEqual({ generation: 3, flagged: [] })

    const model = await storedModel(api.dataDir)
    expect(model.generation).toBe(3)
    expect(model.people).toEqual([
      { name: 'Ada Lovelace', ...second },
      { name: 'Alan Turing', ...alan },
    ])
  })

  it('updates photos one by one with PATCH: an entry per photo, a result replacing the old one', async () => {
    const res = await send('PATCH', '/api/faces/people/Ada%20Lovelace', {
      descriptors: [descriptorEntry('photo-1.jpg', 12)],
      rejected: [rejectedPhoto('photo-2.jpg', 'too_blurry')],
    })
    expect(res.status).toBe(200)
    expect(res.body).toEqual({ generation: 4, flagged: [] })
    // photo-2 had a descriptor: it now has only its rejection.
    expect(await personIn('Ada Lovelace')).toEqual({
      name: 'Ada Lovelace',
      descriptors: [descriptorEntry('photo-1.jpg', 12)],
      rejected: [rejectedPhoto('photo-2.jpg', 'too_blurry')],
    })

    await send('PATCH', '/api/faces/people/Ada%20Lovelace', { descriptors: [descriptorEntry('photo-2.jpg', 13)] })
    expect(await personIn('Ada Lovelace')).toEqual({
      name: 'Ada Lovelace',
      descriptors: [descriptorEntry('photo-1.jpg', 12), descriptorEntry('photo-2.jpg', 13)],
      rejected: [],
    })
  })

  it('forgets the photos listed in remove', async () => {
    const res = await send('PATCH', '/api/faces/people/Ada%20Lovelace', { remove: ['photo-1.jpg', 'never-trained.jpg'] })
    expect(res.body).toEqual({ generation: 6, flagged: [] })
    expect(await personIn('Ada Lovelace')).toEqual({ name: 'Ada Lovelace', descriptors: [descriptorEntry('photo-2.jpg', 13)], rejected: [] })
    expect(await personIn('Alan Turing')).toEqual({ name: 'Alan Turing', descriptors: [descriptorEntry('photo-1.jpg', 20)], rejected: [] })
  })

  it('creates the entry of a registered person the first PATCH is for', async () => {
    await register(api.url, 'Grace Hopper', ['people/kit_harington/john1.jpeg'])
    await send('PATCH', '/api/faces/people/Grace%20Hopper', { descriptors: [descriptorEntry('photo-1.jpg', 30)] })
    const model = await storedModel(api.dataDir)
    expect(model.people.map((person) => person.name)).toEqual(['Ada Lovelace', 'Alan Turing', 'Grace Hopper'])
    expect(model.people[2]).toEqual({ name: 'Grace Hopper', descriptors: [descriptorEntry('photo-1.jpg', 30)], rejected: [] })
  })

  const entry = { descriptors: [descriptorEntry('photo-1.jpg', 1)], rejected: [] }
  const adaEntry = '/api/faces/people/Ada%20Lovelace'
  it.each([
    ...refused(404, 'person_not_found', {
      'PUT for someone unknown': put('/api/faces/people/Nobody', entry),
      'PATCH for someone unknown': patch('/api/faces/people/Nobody', entry),
    }),
    ...refused(400, 'invalid_name', {
      'PUT for ..%2Fx': put('/api/faces/people/..%2Fx', entry),
      'PATCH for ..%2Fx': patch('/api/faces/people/..%2Fx', entry),
      'PUT for %2E%2E': put('/api/faces/people/%2E%2E', entry),
      'DELETE for ..%2Fx': del('/api/faces/people/..%2Fx'),
    }),
    ...refused(400, 'invalid_model', {
      'PUT without rejections': put(adaEntry, { descriptors: [] }),
      'PUT with an extra field': put(adaEntry, { ...entry, name: 'Alan Turing' }),
      'PATCH with a bad descriptor': patch(adaEntry, { descriptors: [{ ...descriptorEntry('photo-1.jpg', 1), descriptor: 'A'.repeat(684) }] }),
      'PATCH removing something that is not a photo name': patch(adaEntry, { remove: [42] }),
    }),
    ...refused(400, 'invalid_json', {
      'PATCH with malformed JSON': patch(adaEntry, '{'),
    }),
  ])('refuses $label with $status $code, leaving the file as it was', async ({ call, status, code }) => {
    await expectRefusedLeavingModel(api, call, status, code)
  })

  it('drops the entry of someone no longer registered with DELETE, and writes nothing when there is none', async () => {
    const stale = { descriptors: [descriptorEntry('photo-1.jpg', 40)], rejected: [] }
    const before = await storedModel(api.dataDir)
    expect((await send('PUT', '/api/faces', { ...before, people: [...before.people, { name: 'Gone', ...stale }] })).status).toBe(200)
    const current = await storedModel(api.dataDir)

    const res = await send('DELETE', '/api/faces/people/Gone')
    expect(res.status).toBe(200)
    expect(res.body).toEqual({ generation: current.generation + 1 })
    expect((await storedModel(api.dataDir)).people.map((person) => person.name)).toEqual(['Ada Lovelace', 'Alan Turing', 'Grace Hopper'])

    const unchanged = await storedModelText(api.dataDir)
    const again = await send('DELETE', '/api/faces/people/Gone')
    expect(again.body).toEqual({ generation: current.generation + 1 })
    expect(await storedModelText(api.dataDir)).toBe(unchanged)
  })
})

describe('the face model follows people and photos in the same request', () => {
  const api = useTestApi(async (dataDir) => {
    await addFixturePhotos(dataDir, 'Ada Lovelace', ['people/barack_obama/obama.jpg', 'people/joe_biden/biden.jpg'])
    await addFixturePhotos(dataDir, 'Alan Turing', ['people/rose_leslie/rose_leslie_img1.jpg'])
    await addFixturePhotos(dataDir, 'Grace Hopper', ['people/kit_harington/john1.jpeg'])
  })
  const send = (method: string, route: string, body?: unknown) => sendJson(api.url, method, route, body)

  const ada = personModel('Ada Lovelace', [descriptorEntry('photo-1.jpg', 1)], [rejectedPhoto('photo-2.jpg')])
  const alan = personModel('Alan Turing', [descriptorEntry('photo-1.jpg', 2)])
  const grace = personModel('Grace Hopper', [descriptorEntry('photo-1.jpg', 3)])

  it('starts from a model with everyone in it', async () => {
    expect((await send('PUT', '/api/faces', faceModelOf([ada, alan, grace], 0))).status).toBe(200)
  })

  it('deleting a person removes their entry', async () => {
    const res = await send('DELETE', '/api/people/Grace%20Hopper')
    expect(res.status).toBe(204)
    const model = await storedModel(api.dataDir)
    expect(model.generation).toBe(2)
    expect(model.people).toEqual([ada, alan])
  })

  it('renaming a person moves their entry to the new name', async () => {
    const res = await send('PATCH', '/api/people/Alan%20Turing', { name: 'Alan M. Turing' })
    expect(res.status).toBe(200)
    const model = await storedModel(api.dataDir)
    expect(model.generation).toBe(3)
    expect(model.people).toEqual([ada, { ...alan, name: 'Alan M. Turing' }])
  })

  it('deleting a photo removes its descriptor, and deleting another its rejection', async () => {
    expect((await send('DELETE', '/api/people/Ada%20Lovelace/photos/photo-1.jpg')).status).toBe(204)
    expect((await storedModel(api.dataDir)).people[0]).toEqual({ ...ada, descriptors: [] })

    expect((await send('DELETE', '/api/people/Ada%20Lovelace/photos/photo-2.jpg')).status).toBe(204)
    const model = await storedModel(api.dataDir)
    expect(model.generation).toBe(5)
    expect(model.people).toEqual([{ name: 'Ada Lovelace', descriptors: [], rejected: [] }, { ...alan, name: 'Alan M. Turing' }])
  })

  it('a person or photo refused with 404 leaves the model as it was', async () => {
    const before = await storedModelText(api.dataDir)
    expect((await send('DELETE', '/api/people/Nobody')).status).toBe(404)
    expect((await send('DELETE', '/api/people/Ada%20Lovelace/photos/photo-9.jpg')).status).toBe(404)
    expect((await send('PATCH', '/api/people/Nobody', { name: 'Somebody' })).status).toBe(404)
    expect(await storedModelText(api.dataDir)).toBe(before)
  })
})
