import { mkdir, readdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { useTestApi } from '../../tests/support/api.js'
import { addFixturePhotos } from '../../tests/support/data.js'
import { sendJson } from '../../tests/support/http.js'
import { uploadPhotos } from '../../tests/support/people.js'
import { storedFiles, storedPeople } from '../../tests/support/stored.js'
import { PeopleResponseSchema, PersonSchema } from './schema.js'

interface Call {
  method: string
  /** Sent exactly as written (not by fetch, which would resolve `..` and `%2E%2E` first): a name in it is already percent-encoded where it needs to be. */
  route: string
  /** JSON, or a string sent as it is, for bodies that are not valid JSON. */
  body?: unknown
}

const list = (): Call => ({ method: 'GET', route: '/api/people' })
const post = (body?: unknown): Call => ({ method: 'POST', route: '/api/people', body })
const get = (name: string): Call => ({ method: 'GET', route: `/api/people/${name}` })
const patch = (name: string, body: unknown): Call => ({ method: 'PATCH', route: `/api/people/${name}`, body })
const del = (name: string): Call => ({ method: 'DELETE', route: `/api/people/${name}` })

const send = (baseUrl: string, { method, route, body }: Call) => sendJson(baseUrl, method, route, body)

/** Table rows that are all refused the same way: a label for each request. */
const refused = (status: number, code: string, requests: Record<string, Call>) =>
  Object.entries(requests).map(([label, request]) => ({ label, request, status, code }))

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
  /** Ada's two photos, as they were stored. */
  let photos: string[] = []

  it('registers a person with a 201, a Location and an empty folder', async () => {
    const res = await call(post({ name: 'Ada Lovelace' }))
    expect(res.status).toBe(201)
    expect(res.headers.location).toBe('/api/people/Ada%20Lovelace')
    expect(res.body).toEqual({ name: 'Ada Lovelace', photoCount: 0, photos: [] })
    expect(await storedPeople(api.dataDir)).toEqual(['Ada Lovelace'])
  })

  it('stores a name trimmed and in NFC, whatever form it was typed in', async () => {
    const decomposed = 'Zoe\u0308 Ng'
    const res = await call(post({ name: `  ${decomposed}  ` }))
    expect(res.status).toBe(201)
    expect(res.body).toMatchObject({ name: 'Zo\u00eb Ng' })
    expect(res.headers.location).toBe('/api/people/Zo%C3%AB%20Ng')
    expect(await storedPeople(api.dataDir)).toContain('Zo\u00eb Ng')
    expect((await call(get(encodeURIComponent(decomposed)))).status).toBe(200)
  })

  it('reads one person with their photos', async () => {
    photos = (await uploadPhotos(api.url, 'Ada Lovelace', ['people/barack_obama/obama.jpg', 'people/joe_biden/biden.jpg'])).sort()
    const res = await call(get('Ada%20Lovelace'))
    expect(res.status).toBe(200)
    expect(PersonSchema.parse(res.body)).toEqual({
      name: 'Ada Lovelace',
      photoCount: 2,
      photos: photos.map((name) => ({ name, url: `/data/users/Ada%20Lovelace/${name}` })),
    })
  })

  it('lists everyone by name', async () => {
    const res = await call(list())
    expect(res.status).toBe(200)
    const { people } = PeopleResponseSchema.parse(res.body)
    expect(people.map((person) => [person.name, person.photoCount])).toEqual([
      ['Ada Lovelace', 2],
      ['Zo\u00eb Ng', 0],
    ])
  })

  /** Renames the person with the two photos, who keeps them under the new name. */
  async function expectRenamed(from: string, to: string): Promise<void> {
    const res = await call(patch(from, { name: to }))
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({ name: to, photoCount: 2 })
    expect((await storedFiles(api.dataDir)).filter((file) => file.startsWith(`users${path.sep}`))).toEqual(photos.map((name) => path.join('users', to, name)))
  }

  it('renames a person, moving their photos to the new folder', async () => {
    await expectRenamed('Ada%20Lovelace', 'Ada King')
    expect((await call(get('Ada%20Lovelace'))).status).toBe(404)
    expect((await fetch(`${api.url}/data/users/Ada%20King/${photos[0]}`)).status).toBe(200)
  })

  it('allows a rename that only changes the case of the name', async () => {
    await expectRenamed('Ada%20King', 'ADA KING')
  })

  it('accepts a rename to the very same name', async () => {
    await expectRenamed('ADA%20KING', 'ADA KING')
  })

  it('deletes a person with their folder and photos', async () => {
    const res = await call(del('ADA%20KING'))
    expect(res.status).toBe(204)
    expect(res.body).toBeUndefined()
    expect(await storedPeople(api.dataDir)).toEqual(['Zo\u00eb Ng'])
    expect(await storedFiles(api.dataDir)).toEqual([])
    expect((await call(get('ADA%20KING'))).status).toBe(404)
    const { people } = PeopleResponseSchema.parse((await call(list())).body)
    expect(people.map((person) => person.name)).toEqual(['Zo\u00eb Ng'])
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
    ...refused(400, 'invalid_name', {
      // Names that are paths, hidden files or control characters
      'a parent-folder name': post({ name: '../x' }),
      'an absolute path': post({ name: '/etc' }),
      'a name with a slash': post({ name: 'a/b' }),
      'a name with a backslash': post({ name: 'a\\b' }),
      'a hidden name': post({ name: '.hidden' }),
      'a name of dots': post({ name: '..' }),
      'a NUL character': post({ name: 'Ada\u0000' }),
      'a tab inside the name': post({ name: 'Ada\tLovelace' }),
      'a newline inside the name': post({ name: 'Ada\nLovelace' }),
      'a 65-character name': post({ name: tooLong }),
      'an empty name': post({ name: '' }),
      'a whitespace-only name': post({ name: ' \t ' }),
      'punctuation without a letter': post({ name: "-'" }),
      'a name of 256 UTF-8 bytes': post({ name: tooManyBytes }),
      // Names that look like another: invisible characters beside it, or made of them only
      'a name followed by U+034F': post({ name: 'Grace Hopper\u034F' }),
      'a name followed by U+FE0F': post({ name: 'Grace Hopper\uFE0F' }),
      'a name followed by U+3164': post({ name: 'Grace Hopper\u3164' }),
      'a name with U+200B inside': post({ name: 'Grace\u200BHopper' }),
      'a name of U+3164 only': post({ name: '\u3164' }),
      'a name of U+3164 and spaces': post({ name: '\u3164 \u3164' }),
      // Bodies without a name that is a string
      'a number as name': post({ name: 42 }),
      'null as name': post({ name: null }),
      'no name at all': post({}),
      'no body': post(),
      // Traversal and bad names in the path, and renames to bad names
      'GET ..%2Fx': get('..%2Fx'),
      'GET %2E%2E%2Fx': get('%2E%2E%2Fx'),
      'GET ..': get('..'),
      'GET %2Fetc': get('%2Fetc'),
      'GET a hidden name': get('.hidden'),
      'GET a NUL character': get('Ada%00'),
      'GET a 65-character name': get(tooLong),
      'PATCH ..%2Fx': patch('..%2Fx', { name: 'y' }),
      'PATCH to a parent-folder name': patch('Grace%20Hopper', { name: '../y' }),
      'PATCH to a hidden name': patch('Grace%20Hopper', { name: '.y' }),
      'PATCH to a name of 256 UTF-8 bytes': patch('Grace%20Hopper', { name: tooManyBytes }),
      'PATCH to a name followed by U+FE0F': patch('Grace%20Hopper', { name: 'Alan Turing\uFE0F' }),
      'DELETE ..%2Fx': del('..%2Fx'),
      'DELETE .. (the data folder)': del('..'),
      'DELETE %2E%2E (the data folder)': del('%2E%2E'),
      'DELETE . (the users folder)': del('.'),
      'DELETE %2E (the users folder)': del('%2E'),
      'DELETE a blank name': del('%20'),
    }),
    // Bodies of the wrong shape
    ...refused(400, 'invalid_body', {
      'an array body': post([{ name: 'Ada' }]),
      'an extra key': post({ name: 'Ada', admin: true }),
      'PATCH with an extra key': patch('Grace%20Hopper', { name: 'y', photos: [] }),
    }),
    ...refused(400, 'invalid_json', {
      'malformed JSON': post('{"name": '),
      'PATCH with malformed JSON': patch('Grace%20Hopper', '{'),
    }),
    ...refused(413, 'payload_too_large', {
      'a body over 100 kB': post({ name: 'x'.repeat(200_000) }),
    }),
    // Duplicates, whatever the case
    ...refused(409, 'name_taken', {
      'a duplicate in lower case': post({ name: 'grace hopper' }),
      'a duplicate in upper case': post({ name: 'GRACE HOPPER' }),
      'a duplicate with extra spaces': post({ name: ' Grace Hopper ' }),
      'a duplicate in full-width letters': post({ name: fullWidth('Grace Hopper') }),
      'a duplicate with a ligature': post({ name: '\uFB01' }),
      'a duplicate with sharp s for ss': post({ name: 'Stra\u00dfe' }),
      'PATCH to a taken name': patch('Grace%20Hopper', { name: 'Alan Turing' }),
      'PATCH to a taken name in another case': patch('Grace%20Hopper', { name: 'alan turing' }),
      'PATCH to a taken name in full width': patch('Grace%20Hopper', { name: fullWidth('Alan Turing') }),
    }),
    ...refused(404, 'person_not_found', {
      'GET someone unknown': get('Nobody'),
      'PATCH someone unknown': patch('Nobody', { name: 'Somebody' }),
      'DELETE someone unknown': del('Nobody'),
    }),
  ])('$label → $status $code', async ({ request, status, code }) => {
    const files = await storedFiles(api.dataDir)
    const people = await storedPeople(api.dataDir)
    const folders = await listFolders(api.dataDir)

    const res = await call(request)

    expect(res.status).toBe(status)
    expect(res.body).toEqual({ error: { code, message: expect.stringMatching(/\S/) } })
    expect(await storedFiles(api.dataDir)).toEqual(files)
    expect(await storedPeople(api.dataDir)).toEqual(people)
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

  it.each([
    { label: '63 letters of 4 bytes (252 bytes)', name: '\u{10400}'.repeat(63) },
    { label: '64 letters of 3 bytes (192 bytes)', name: '\uD55C'.repeat(64) },
  ])('registers, renames and deletes a name of $label', async ({ name }) => {
    expect((await call(post({ name }))).status).toBe(201)
    expect(await storedPeople(api.dataDir)).toContain(name)
    const renamed = `${[...name].slice(1).join('')}x`
    expect((await call(patch(encodeURIComponent(name), { name: renamed }))).status).toBe(200)
    expect((await call(del(encodeURIComponent(renamed)))).status).toBe(204)
    expect(await storedPeople(api.dataDir)).toEqual([legacy])
  })

  it('reads, renames and deletes a person whose name has a character refused today', async () => {
    expect((await call(get(encodeURIComponent(legacy)))).body).toMatchObject({ name: legacy, photoCount: 1 })
    expect((await call(patch(encodeURIComponent(legacy), { name: 'Ada' }))).status).toBe(200)
    expect(await storedPeople(api.dataDir)).toEqual(['Ada'])
    expect((await call(patch('Ada', { name: legacy }))).status).toBe(400)
    expect((await call(del('Ada'))).status).toBe(204)
    expect(await storedPeople(api.dataDir)).toEqual([])
  })
})
