import { mkdir, readdir, writeFile } from 'node:fs/promises'
import { request } from 'node:http'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { useTestApi } from '../../tests/support/api.js'
import { addFixturePhotos, listFiles } from '../../tests/support/data.js'
import { PeopleResponseSchema, PersonSchema } from './schema.js'

interface Call {
  method: string
  /** Sent exactly as written: a name in it is already percent-encoded where it needs to be. */
  route: string
  body?: string
}

/** A body as JSON; a string is sent as it is, for bodies that are not valid JSON. */
const encode = (body: unknown) => (body === undefined || typeof body === 'string' ? body : JSON.stringify(body))

const list = (): Call => ({ method: 'GET', route: '/api/users' })
const post = (body?: unknown): Call => ({ method: 'POST', route: '/api/users', body: encode(body) })
const get = (name: string): Call => ({ method: 'GET', route: `/api/users/${name}` })
const patch = (name: string, body: unknown): Call => ({ method: 'PATCH', route: `/api/users/${name}`, body: encode(body) })
const del = (name: string): Call => ({ method: 'DELETE', route: `/api/users/${name}` })

interface Reply {
  status: number
  location: string | undefined
  body: unknown
}

/**
 * Sends a call over plain HTTP. Not fetch: like any WHATWG URL it resolves `..`, `.` and their
 * `%2E` spellings before sending, so `DELETE /api/users/%2E%2E` would never reach the route.
 */
function send(baseUrl: string, { method, route, body }: Call): Promise<Reply> {
  const { hostname, port } = new URL(baseUrl)
  const headers = body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port, method, path: route, headers }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('error', reject)
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        try {
          resolve({ status: res.statusCode ?? 0, location: res.headers.location, body: text ? JSON.parse(text) : undefined })
        } catch (err) {
          reject(err)
        }
      })
    })
    req.on('error', reject)
    req.end(body)
  })
}

/** Folders as well as files: a wrongly created person is an empty folder, which listFiles would miss. */
async function listFolders(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true })
  return entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)))
    .sort()
}

describe('people: create, read, rename, delete', () => {
  const api = useTestApi()
  const call = (what: Call) => send(api.url, what)
  const usersFolder = () => path.join(api.dataDir, 'users')

  it('registers a person with a 201, a Location and an empty folder', async () => {
    const res = await call(post({ name: 'Ada Lovelace' }))
    expect(res.status).toBe(201)
    expect(res.location).toBe('/api/users/Ada%20Lovelace')
    expect(res.body).toEqual({ name: 'Ada Lovelace', photoCount: 0, photos: [] })
    expect(await readdir(usersFolder())).toEqual(['Ada Lovelace'])
  })

  it('stores a name trimmed and in NFC, whatever form it was typed in', async () => {
    const decomposed = 'Zoe\u0308 Ng'
    const res = await call(post({ name: `  ${decomposed}  ` }))
    expect(res.status).toBe(201)
    expect(res.body).toMatchObject({ name: 'Zo\u00eb Ng' })
    expect(res.location).toBe('/api/users/Zo%C3%AB%20Ng')
    expect(await readdir(usersFolder())).toContain('Zo\u00eb Ng')
    expect((await call(get(encodeURIComponent(decomposed)))).status).toBe(200)
  })

  it('reads one person with their photos', async () => {
    await addFixturePhotos(api.dataDir, 'Ada Lovelace', ['people/barack_obama/obama.jpg', 'people/joe_biden/biden.jpg'])
    const res = await call(get('Ada%20Lovelace'))
    expect(res.status).toBe(200)
    expect(PersonSchema.parse(res.body)).toEqual({
      name: 'Ada Lovelace',
      photoCount: 2,
      photos: [
        { name: 'photo-1.jpg', url: '/data/users/Ada%20Lovelace/photo-1.jpg' },
        { name: 'photo-2.jpg', url: '/data/users/Ada%20Lovelace/photo-2.jpg' },
      ],
    })
  })

  it('lists everyone by name', async () => {
    const res = await call(list())
    expect(res.status).toBe(200)
    const { users } = PeopleResponseSchema.parse(res.body)
    expect(users.map((person) => [person.name, person.photoCount])).toEqual([
      ['Ada Lovelace', 2],
      ['Zo\u00eb Ng', 0],
    ])
  })

  it('renames a person, moving their photos to the new folder', async () => {
    const res = await call(patch('Ada%20Lovelace', { name: 'Ada King' }))
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({ name: 'Ada King', photoCount: 2 })
    expect(await listFiles(usersFolder())).toEqual([
      path.join('Ada King', 'photo-1.jpg'),
      path.join('Ada King', 'photo-2.jpg'),
    ])
    expect((await call(get('Ada%20Lovelace'))).status).toBe(404)
    expect((await fetch(`${api.url}/data/users/Ada%20King/photo-1.jpg`)).status).toBe(200)
  })

  it('allows a rename that only changes the case of the name', async () => {
    const res = await call(patch('Ada%20King', { name: 'ADA KING' }))
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({ name: 'ADA KING', photoCount: 2 })
    expect(await listFiles(usersFolder())).toEqual([
      path.join('ADA KING', 'photo-1.jpg'),
      path.join('ADA KING', 'photo-2.jpg'),
    ])
  })

  it('accepts a rename to the very same name', async () => {
    const res = await call(patch('ADA%20KING', { name: 'ADA KING' }))
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({ name: 'ADA KING', photoCount: 2 })
  })

  it('deletes a person with their folder and photos', async () => {
    const res = await call(del('ADA%20KING'))
    expect(res.status).toBe(204)
    expect(res.body).toBeUndefined()
    expect(await readdir(usersFolder())).toEqual(['Zo\u00eb Ng'])
    expect(await listFiles(api.dataDir)).toEqual([])
    expect((await call(get('ADA%20KING'))).status).toBe(404)
    const { users } = PeopleResponseSchema.parse((await call(list())).body)
    expect(users.map((person) => person.name)).toEqual(['Zo\u00eb Ng'])
  })
})

describe('people: bad requests are refused and change nothing on disk', () => {
  const api = useTestApi(async (dataDir) => {
    await addFixturePhotos(dataDir, 'Grace Hopper', ['people/barack_obama/obama.jpg'])
    await addFixturePhotos(dataDir, 'Alan Turing', ['people/joe_biden/biden.jpg'])
    await addFixturePhotos(dataDir, 'fi', [])
    await addFixturePhotos(dataDir, 'STRASSE', [])
    // What a traversal from DATA_DIR/users would reach: it must survive.
    await mkdir(path.join(dataDir, 'x'))
    await writeFile(path.join(dataDir, 'x', 'keep.txt'), 'outside the users folder')
  })
  const call = (what: Call) => send(api.url, what)

  const tooLong = 'a'.repeat(65)
  // 64 letters of 4 bytes each (Deseret): 256 bytes, one more than a folder's name may have.
  const tooManyBytes = '\u{10400}'.repeat(64)
  const fullWidth = (name: string) => [...name].map((char) => (char === ' ' ? char : String.fromCodePoint(char.codePointAt(0)! + 0xfee0))).join('')

  it.each([
    // Names that are paths, hidden files or control characters
    { label: 'a parent-folder name', request: post({ name: '../x' }), status: 400, code: 'invalid_name' },
    { label: 'an absolute path', request: post({ name: '/etc' }), status: 400, code: 'invalid_name' },
    { label: 'a name with a slash', request: post({ name: 'a/b' }), status: 400, code: 'invalid_name' },
    { label: 'a name with a backslash', request: post({ name: 'a\\b' }), status: 400, code: 'invalid_name' },
    { label: 'a hidden name', request: post({ name: '.hidden' }), status: 400, code: 'invalid_name' },
    { label: 'a name of dots', request: post({ name: '..' }), status: 400, code: 'invalid_name' },
    { label: 'a NUL character', request: post({ name: 'Ada\u0000' }), status: 400, code: 'invalid_name' },
    { label: 'a tab inside the name', request: post({ name: 'Ada\tLovelace' }), status: 400, code: 'invalid_name' },
    { label: 'a newline inside the name', request: post({ name: 'Ada\nLovelace' }), status: 400, code: 'invalid_name' },
    { label: 'a 65-character name', request: post({ name: tooLong }), status: 400, code: 'invalid_name' },
    { label: 'an empty name', request: post({ name: '' }), status: 400, code: 'invalid_name' },
    { label: 'a whitespace-only name', request: post({ name: ' \t ' }), status: 400, code: 'invalid_name' },
    { label: 'punctuation without a letter', request: post({ name: "-'" }), status: 400, code: 'invalid_name' },
    { label: 'a name of 256 UTF-8 bytes', request: post({ name: tooManyBytes }), status: 400, code: 'invalid_name' },
    // Names that look like another: invisible characters beside it, or made of them only
    { label: 'a name followed by U+034F', request: post({ name: 'Grace Hopper\u034F' }), status: 400, code: 'invalid_name' },
    { label: 'a name followed by U+FE0F', request: post({ name: 'Grace Hopper\uFE0F' }), status: 400, code: 'invalid_name' },
    { label: 'a name followed by U+3164', request: post({ name: 'Grace Hopper\u3164' }), status: 400, code: 'invalid_name' },
    { label: 'a name with U+200B inside', request: post({ name: 'Grace\u200BHopper' }), status: 400, code: 'invalid_name' },
    { label: 'a name of U+3164 only', request: post({ name: '\u3164' }), status: 400, code: 'invalid_name' },
    { label: 'a name of U+3164 and spaces', request: post({ name: '\u3164 \u3164' }), status: 400, code: 'invalid_name' },
    // Bodies of the wrong shape
    { label: 'a number as name', request: post({ name: 42 }), status: 400, code: 'invalid_name' },
    { label: 'null as name', request: post({ name: null }), status: 400, code: 'invalid_name' },
    { label: 'no name at all', request: post({}), status: 400, code: 'invalid_name' },
    { label: 'no body', request: post(), status: 400, code: 'invalid_name' },
    { label: 'an array body', request: post([{ name: 'Ada' }]), status: 400, code: 'invalid_body' },
    { label: 'an extra key', request: post({ name: 'Ada', admin: true }), status: 400, code: 'invalid_body' },
    { label: 'malformed JSON', request: post('{"name": '), status: 400, code: 'invalid_json' },
    { label: 'a body over 100 kB', request: post({ name: 'x'.repeat(200_000) }), status: 413, code: 'payload_too_large' },
    // Duplicates, whatever the case
    { label: 'a duplicate in lower case', request: post({ name: 'grace hopper' }), status: 409, code: 'name_taken' },
    { label: 'a duplicate in upper case', request: post({ name: 'GRACE HOPPER' }), status: 409, code: 'name_taken' },
    { label: 'a duplicate with extra spaces', request: post({ name: ' Grace Hopper ' }), status: 409, code: 'name_taken' },
    { label: 'a duplicate in full-width letters', request: post({ name: fullWidth('Grace Hopper') }), status: 409, code: 'name_taken' },
    { label: 'a duplicate with a ligature', request: post({ name: '\uFB01' }), status: 409, code: 'name_taken' },
    { label: 'a duplicate with sharp s for ss', request: post({ name: 'Stra\u00dfe' }), status: 409, code: 'name_taken' },
    // Traversal and bad names in the path
    { label: 'GET ..%2Fx', request: get('..%2Fx'), status: 400, code: 'invalid_name' },
    { label: 'GET %2E%2E%2Fx', request: get('%2E%2E%2Fx'), status: 400, code: 'invalid_name' },
    { label: 'GET ..', request: get('..'), status: 400, code: 'invalid_name' },
    { label: 'GET %2Fetc', request: get('%2Fetc'), status: 400, code: 'invalid_name' },
    { label: 'GET a hidden name', request: get('.hidden'), status: 400, code: 'invalid_name' },
    { label: 'GET a NUL character', request: get('Ada%00'), status: 400, code: 'invalid_name' },
    { label: 'GET a 65-character name', request: get(tooLong), status: 400, code: 'invalid_name' },
    { label: 'GET someone unknown', request: get('Nobody'), status: 404, code: 'person_not_found' },
    { label: 'PATCH ..%2Fx', request: patch('..%2Fx', { name: 'y' }), status: 400, code: 'invalid_name' },
    { label: 'PATCH to a parent-folder name', request: patch('Grace%20Hopper', { name: '../y' }), status: 400, code: 'invalid_name' },
    { label: 'PATCH to a hidden name', request: patch('Grace%20Hopper', { name: '.y' }), status: 400, code: 'invalid_name' },
    { label: 'PATCH with an extra key', request: patch('Grace%20Hopper', { name: 'y', photos: [] }), status: 400, code: 'invalid_body' },
    { label: 'PATCH with malformed JSON', request: patch('Grace%20Hopper', '{'), status: 400, code: 'invalid_json' },
    { label: 'PATCH to a taken name', request: patch('Grace%20Hopper', { name: 'Alan Turing' }), status: 409, code: 'name_taken' },
    { label: 'PATCH to a taken name in another case', request: patch('Grace%20Hopper', { name: 'alan turing' }), status: 409, code: 'name_taken' },
    { label: 'PATCH to a taken name in full width', request: patch('Grace%20Hopper', { name: fullWidth('Alan Turing') }), status: 409, code: 'name_taken' },
    { label: 'PATCH to a name of 256 UTF-8 bytes', request: patch('Grace%20Hopper', { name: tooManyBytes }), status: 400, code: 'invalid_name' },
    { label: 'PATCH to a name followed by U+FE0F', request: patch('Grace%20Hopper', { name: 'Alan Turing\uFE0F' }), status: 400, code: 'invalid_name' },
    { label: 'PATCH someone unknown', request: patch('Nobody', { name: 'Somebody' }), status: 404, code: 'person_not_found' },
    { label: 'DELETE ..%2Fx', request: del('..%2Fx'), status: 400, code: 'invalid_name' },
    { label: 'DELETE .. (the data folder)', request: del('..'), status: 400, code: 'invalid_name' },
    { label: 'DELETE %2E%2E (the data folder)', request: del('%2E%2E'), status: 400, code: 'invalid_name' },
    { label: 'DELETE . (the users folder)', request: del('.'), status: 400, code: 'invalid_name' },
    { label: 'DELETE %2E (the users folder)', request: del('%2E'), status: 400, code: 'invalid_name' },
    { label: 'DELETE a blank name', request: del('%20'), status: 400, code: 'invalid_name' },
    { label: 'DELETE someone unknown', request: del('Nobody'), status: 404, code: 'person_not_found' },
  ])('$label → $status $code', async ({ request, status, code }) => {
    const files = await listFiles(api.dataDir)
    const folders = await listFolders(api.dataDir)

    const res = await call(request)

    expect(res.status).toBe(status)
    expect(res.body).toEqual({ error: { code, message: expect.stringMatching(/\S/) } })
    expect(await listFiles(api.dataDir)).toEqual(files)
    expect(await listFolders(api.dataDir)).toEqual(folders)
  })

  it('names the unexpected field', async () => {
    const res = await call(post({ name: 'Ada', admin: true }))
    expect(res.body).toEqual({ error: { code: 'invalid_body', message: 'Unexpected field: admin' } })
  })

  it('says which name is taken', async () => {
    const res = await call(post({ name: 'grace hopper' }))
    expect(res.body).toEqual({ error: { code: 'name_taken', message: '"Grace Hopper" is already registered' } })
  })

  it('says how long a name may be', async () => {
    const res = await call(post({ name: tooManyBytes }))
    expect(res.body).toEqual({ error: { code: 'invalid_name', message: expect.stringContaining('at most 255 bytes') } })
  })
})

describe('people: names near the limits, and names registered before the rules of today', () => {
  // A folder made before invisible characters were refused: it can still be read, renamed and deleted.
  const legacy = 'Ada\u034F'
  const api = useTestApi(async (dataDir) => {
    await addFixturePhotos(dataDir, legacy, ['people/barack_obama/obama.jpg'])
  })
  const call = (what: Call) => send(api.url, what)
  const usersFolder = () => path.join(api.dataDir, 'users')

  it.each([
    { label: '63 letters of 4 bytes (252 bytes)', name: '\u{10400}'.repeat(63) },
    { label: '64 letters of 3 bytes (192 bytes)', name: '\uD55C'.repeat(64) },
  ])('registers, renames and deletes a name of $label', async ({ name }) => {
    expect((await call(post({ name }))).status).toBe(201)
    expect(await readdir(usersFolder())).toContain(name)
    const renamed = `${[...name].slice(1).join('')}x`
    expect((await call(patch(encodeURIComponent(name), { name: renamed }))).status).toBe(200)
    expect((await call(del(encodeURIComponent(renamed)))).status).toBe(204)
    expect(await readdir(usersFolder())).toEqual([legacy])
  })

  it('reads, renames and deletes a person whose name has a character refused today', async () => {
    expect((await call(get(encodeURIComponent(legacy)))).body).toMatchObject({ name: legacy, photoCount: 1 })
    expect((await call(patch(encodeURIComponent(legacy), { name: 'Ada' }))).status).toBe(200)
    expect(await readdir(usersFolder())).toEqual(['Ada'])
    expect((await call(patch('Ada', { name: legacy }))).status).toBe(400)
    expect((await call(del('Ada'))).status).toBe(204)
    expect(await readdir(usersFolder())).toEqual([])
  })
})
