import { randomBytes } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { request } from 'node:http'
import path from 'node:path'
import { deflateSync, crc32 } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { modelsUrl, wasmUrl } from '../assets/urls.js'
import { SessionKeeper, sessionCookie } from '../auth/session.js'
import { loadConfig, type AuthConfig } from '../config.js'
import { maxPhotosPerRequest, maxPhotoBytes } from '../../shared/photos/limits.js'
import { openBackend } from '../storage/backend.js'
import { databaseOf, useTestApi } from '../../tests/support/api.js'
import { addFixturePhotos, createTempDataDir, facesDir, type TempDataDir } from '../../tests/support/data.js'
import { descriptorEntry, faceModelOf, personModel, seededDescriptor } from '../../tests/support/faces.js'
import { storedSnapshot } from '../../tests/support/stored.js'

const env = {
  ADMIN_PASSWORD: 'admin password for the table',
  VIEWER_PASSWORD: 'viewer password for the table',
  // High enough that the table's own sign-ins and uploads are never counted out; the limits have their own tests.
  LOGIN_RATE_LIMIT: '1000',
  UPLOAD_RATE_LIMIT: '1000',
}
const auth = loadConfig(env).auth as AuthConfig

interface Reply {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: { error?: { code: string; message: string } } | undefined
}

interface Body {
  type?: string
  bytes: Buffer | string
}

/** One request exactly as written: fetch would resolve `..` and `%2e%2e` before sending. */
function send(baseUrl: string, method: string, route: string, headers: Record<string, string>, body?: Body): Promise<Reply> {
  const { hostname, port } = new URL(baseUrl)
  const all: Record<string, string | number> = { ...headers }
  if (body) {
    if (body.type) all['content-type'] = body.type
    all['content-length'] = Buffer.byteLength(body.bytes)
  }
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port, method, path: route, headers: all }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        let parsed: Reply['body']
        try {
          parsed = text ? JSON.parse(text) : undefined
        } catch {
          parsed = undefined
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed })
      })
    })
    // A server may answer and close before a refused body is fully sent.
    req.on('error', (err: NodeJS.ErrnoException) => (err.code === 'EPIPE' || err.code === 'ECONNRESET' ? undefined : reject(err)))
    req.end(body?.bytes)
  })
}

const json = (value: unknown): Body => ({ type: 'application/json', bytes: JSON.stringify(value) })
const rawJson = (text: string): Body => ({ type: 'application/json', bytes: text })

interface Part {
  bytes: Buffer | string
  filename: string
  type?: string
  field?: string
}

async function multipart(parts: Part[]): Promise<Body> {
  const form = new FormData()
  for (const { bytes, filename, type = 'image/jpeg', field = 'photos' } of parts) {
    form.append(field, new Blob([typeof bytes === 'string' ? bytes : new Uint8Array(bytes)], { type }), filename)
  }
  const encoded = new Response(form)
  return { type: encoded.headers.get('content-type')!, bytes: Buffer.from(await encoded.arrayBuffer()) }
}

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4)
  length.writeUInt32BE(data.length)
  const typed = Buffer.concat([Buffer.from(type, 'ascii'), data])
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(crc32(typed))
  return Buffer.concat([length, typed, crc])
}

/** A few hundred bytes that declare a 100,000 x 100,000 gray image: ten gigapixels if decoded. */
function decompressionBomb(): Buffer {
  const header = Buffer.alloc(13)
  header.writeUInt32BE(100_000, 0)
  header.writeUInt32BE(100_000, 4)
  header.set([8, 0, 0, 0, 0], 8)
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
  return Buffer.concat([
    signature,
    pngChunk('IHDR', header),
    pngChunk('IDAT', deflateSync(Buffer.alloc(100_001 * 16))),
    pngChunk('IEND', Buffer.alloc(0)),
  ])
}

type Caller = 'none' | 'admin' | 'viewer' | 'expired' | 'tampered-role' | 'bad-signature' | 'other-secret' | 'signed-out' | 'garbage' | 'other-cookie'

interface Row {
  label: string
  method: string
  route: string
  as?: Caller
  headers?: Record<string, string>
  body?: () => Promise<Body> | Body
  status: number
  code?: string
  /** What the request may change in what is stored (see storedSnapshot); by default nothing. */
  changes?: (added: string[], changed: string[], removed: string[]) => void
}

let photo: Buffer
const evil = { origin: 'https://evil.example' }
const personModelBody = { descriptors: [descriptorEntry('photo-1.jpg', 7)], rejected: [] }

/** A new stored photo for Ada under a name the server chose, and nothing else. */
function onlyANewPhotoOfAda(added: string[], changed: string[], removed: string[]) {
  expect(added).toHaveLength(1)
  expect(added[0]).toMatch(/^users\/Ada\/[\w-]+\.jpg$/)
  expect([...changed, ...removed]).toEqual([])
}

/** The failed sign-in counted, in the counts every process shares, and nothing else. */
function onlyAFailedSignInCounted(added: string[], changed: string[], removed: string[]) {
  expect({ added, changed, removed }).toEqual({ added: [], changed: ['.auth/failed-sign-ins.json'], removed: [] })
}

/** A row's request: what is sent, by whom; `rowsOf` adds how it is answered. */
type Request = Pick<Row, 'method' | 'route' | 'body' | 'as' | 'headers'>

const get = (route: string): Request => ({ method: 'GET', route })
const del = (route: string): Request => ({ method: 'DELETE', route })
const post = (route: string, body: Row['body']): Request => ({ method: 'POST', route, body })
const put = (route: string, body: Row['body']): Request => ({ method: 'PUT', route, body })
const patch = (route: string, body: Row['body']): Request => ({ method: 'PATCH', route, body })
/** An upload for Ada of these parts (made when the row runs, once `photo` is read). */
const upload = (parts: () => Part[], route = '/api/people/Ada/photos'): Request => post(route, () => multipart(parts()))
const aPhoto = (filename = 'a.jpg'): Part => ({ bytes: photo, filename })
const emptyModel = () => json(faceModelOf([]))
const aDescriptor = () => json({ descriptors: [Array.from(seededDescriptor(1))] })
const signIn = (body: unknown): Request => ({ ...post('/api/auth/login', () => json(body)), as: 'none' })

/** Rows answered alike: each label's request, with what they share (caller, headers, answer). */
function rowsOf(shared: Omit<Row, 'label' | 'method' | 'route'>, requests: Record<string, Request>): Row[] {
  return Object.entries(requests).map(([label, request]) => ({ label, ...shared, ...request }))
}

const rows: Row[] = [
  // No session, or one that is not valid: 401 on every route that needs one.
  ...rowsOf({ as: 'none', status: 401, code: 'unauthenticated' }, {
    'list people without a session': get('/api/people'),
    'one person without a session': get('/api/people/Ada'),
    'read the model without a session': get('/api/faces'),
    'export the model without a session': get('/api/faces/export'),
    'photo hashes without a session': get('/api/faces/photos'),
    'a photo without a session': get('/data/users/Ada/photo-1.jpg'),
    'register without a session': post('/api/people', () => json({ name: 'Mallory' })),
    'delete a person without a session': del('/api/people/Ada'),
    'upload without a session': upload(() => [aPhoto()]),
    'replace the model without a session': put('/api/faces', emptyModel),
    'patch descriptors without a session': patch('/api/faces/people/Ada', () => json(personModelBody)),
    'match faces without a session': post('/api/faces/match', aDescriptor),
    'model events without a session': get('/api/faces/events'),
    'an unknown API route without a session': get('/api/secrets'),
    'the API in capitals without a session': get('/API/USERS'),
    'a garbage session cookie': { ...get('/api/people'), as: 'garbage' },
    'another cookie, not the session': { ...get('/api/people'), as: 'other-cookie' },
    'an expired session': { ...get('/api/people'), as: 'expired' },
    'a viewer session edited to say admin': { ...get('/api/people'), as: 'tampered-role' },
    'a session with a changed signature': { ...get('/api/people'), as: 'bad-signature' },
    'a session signed with another server’s secret': { ...get('/api/people'), as: 'other-secret' },
    'a session that signed out': { ...get('/api/faces'), as: 'signed-out' },
    'a tampered session writing': { ...del('/api/people/Ada'), as: 'tampered-role' },
  }),

  // The viewer's session: the model only.
  ...rowsOf({ as: 'viewer', status: 403, code: 'forbidden' }, {
    'viewer lists people': get('/api/people'),
    'viewer registers a person': post('/api/people', () => json({ name: 'Mallory' })),
    'viewer renames a person': patch('/api/people/Ada', () => json({ name: 'Eve' })),
    'viewer deletes a person': del('/api/people/Ada'),
    'viewer uploads a photo': upload(() => [aPhoto()]),
    'viewer deletes a photo': del('/api/people/Ada/photos/photo-1.jpg'),
    'viewer reads a photo': get('/data/users/Ada/photo-1.jpg'),
    'viewer exports the model': get('/api/faces/export'),
    'viewer replaces the model': put('/api/faces', emptyModel),
    'viewer replaces a person’s descriptors': put('/api/faces/people/Ada', () => json(personModelBody)),
    'viewer removes a person’s descriptors': del('/api/faces/people/Ada'),
    'viewer writes the model through a trailing slash': put('/api/faces/', emptyModel),
  }),
  { label: 'viewer matches a face (the Recognize page may)', ...post('/api/faces/match', aDescriptor), as: 'viewer', status: 200 },

  // Another site's page, with the admin's cookie riding along.
  ...rowsOf({ headers: evil, status: 403, code: 'cross_origin' }, {
    'cross-origin register': post('/api/people', () => json({ name: 'Mallory' })),
    'cross-origin delete': del('/api/people/Ada'),
    'cross-origin model write': put('/api/faces', emptyModel),
    'cross-origin upload': upload(() => [aPhoto()]),
    'cross-origin match': post('/api/faces/match', aDescriptor),
    'cross-origin sign-in': { ...post('/api/auth/login', () => json({ password: env.ADMIN_PASSWORD })), as: 'none' },
    'a sandboxed page (Origin: null)': { ...del('/api/people/Ada'), headers: { origin: 'null' } },
    'same host, other port': { ...del('/api/people/Ada'), headers: { origin: 'http://127.0.0.1:1' } },
    'Sec-Fetch-Site cross-site without Origin': { ...post('/api/people', () => json({ name: 'Mallory' })), headers: { 'sec-fetch-site': 'cross-site' } },
    'a text/plain form from another site': post('/api/people', () => ({ type: 'text/plain', bytes: '{"name":"Mallory"}' })),
  }),

  // Paths in every path parameter, plain and encoded.
  ...rowsOf({ status: 400, code: 'invalid_name' }, {
    'person name ../../etc': get('/api/people/..%2F..%2Fetc'),
    'person name ..': get('/api/people/%2e%2e'),
    'person name double-encoded': del('/api/people/..%252F..%252Ffaces.json'),
    'person name with a backslash': del('/api/people/..%5C..%5Cfaces.json'),
    'person name with a NUL byte': get('/api/people/Ada%00.jpg'),
    'person name that is hidden': del('/api/people/.auth'),
    'rename to a path': patch('/api/people/Ada', () => json({ name: '../../escaped' })),
    'register a path': post('/api/people', () => json({ name: '../faces.json' })),
    'register a full-width dot path': post('/api/people', () => json({ name: '\uff0e\uff0e\uff0fx' })),
    'upload to a path': upload(() => [aPhoto()], '/api/people/..%2F.auth/photos'),
  }),
  ...rowsOf({ status: 404, code: 'photo_not_found' }, {
    'photo name ../../faces.json': del('/api/people/Ada/photos/..%2F..%2F..%2Ffaces.json'),
    'photo name ..': del('/api/people/Ada/photos/%2e%2e'),
    'photo name double-encoded': del('/api/people/Ada/photos/..%252Fphoto-1.jpg'),
  }),
  ...rowsOf({ status: 400, code: 'invalid_name' }, {
    'descriptors of a path': put('/api/faces/people/..%2F..%2Fx', () => json(personModelBody)),
    'descriptors of ..': del('/api/faces/people/%2e%2e'),
  }),
  ...rowsOf({ status: 404, code: 'not_found' }, {
    'served photo ../faces.json': get('/data/users/..%2Ffaces.json'),
    'served photo ../../ encoded dots': get('/data/users/%2e%2e/%2e%2e/etc/passwd'),
    'served photo through a person': get('/data/users/Ada/..%2F..%2Ffaces.json'),
    'served session secret': get('/data/.auth/session-secret'),
    'served hidden file': get('/data/users/Ada/.upload-x.jpg'),
    'model weights ../package.json': { ...get(`${modelsUrl}..%2F..%2Fpackage.json`), as: 'none' },
    'WASM ../package.json': { ...get(`${wasmUrl}..%2Fpackage.json`), as: 'none' },
  }),
  ...rowsOf({ status: 415, code: 'not_an_image' }, {
    'upload named ../../../faces.json (text)': upload(() => [{ bytes: '{"people":[]}', filename: '../../../faces.json' }]),
  }),
  ...rowsOf({ status: 201, changes: onlyANewPhotoOfAda }, {
    'upload named ..\\..\\escaped.jpg': upload(() => [aPhoto('..\\..\\escaped.jpg')]),
    'upload named /etc/cron.d/x': upload(() => [aPhoto('/etc/cron.d/x')]),
    'upload named .auth': upload(() => [aPhoto('.auth')]),
  }),

  // Bodies: malformed, oversize, not what they say they are.
  { label: 'malformed JSON', ...post('/api/people', () => rawJson('{"name": ')), status: 400, code: 'invalid_json' },
  { label: 'a JSON body over 100 kB', ...post('/api/people', () => json({ name: 'x'.repeat(200_000) })), status: 413, code: 'payload_too_large' },
  { label: 'a name that is not a string', ...post('/api/people', () => json({ name: { $gt: '' } })), status: 400, code: 'invalid_name' },
  { label: 'a prototype-polluting body', ...post('/api/people', () => rawJson('{"__proto__":{"admin":true},"name":"Ada2"}')), status: 400, code: 'invalid_body' },
  { label: 'register as text/plain', ...post('/api/people', () => ({ type: 'text/plain', bytes: 'name=Mallory' })), status: 400, code: 'invalid_name' },
  { label: 'upload as text/plain', ...post('/api/people/Ada/photos', () => ({ type: 'text/plain', bytes: 'hello' })), status: 415, code: 'unsupported_content_type' },
  ...rowsOf({ status: 400, code: 'bad_upload' }, {
    'multipart without a boundary': post('/api/people/Ada/photos', () => ({ type: 'multipart/form-data', bytes: 'x' })),
    'a form cut short': post('/api/people/Ada/photos', () => ({ type: 'multipart/form-data; boundary=XX', bytes: '--XX\r\nContent-Disposition: form-data; name="photos"; filename="a.jpg"\r\n\r\nhalf' })),
  }),
  ...rowsOf({ status: 415, code: 'not_an_image' }, {
    'a text file named .jpg': upload(() => [{ bytes: 'not a photo', filename: 'photo.jpg' }]),
    'a PDF named .jpg': upload(() => [{ bytes: '%PDF-1.4\n%%EOF\n', filename: 'photo.jpg', type: 'application/pdf' }]),
    'an SVG with a script': upload(() => [{ bytes: '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', filename: 'x.svg', type: 'image/svg+xml' }]),
  }),
  { label: 'a decompression bomb PNG', ...upload(() => [{ bytes: decompressionBomb(), filename: 'bomb.png', type: 'image/png' }]), status: 413, code: 'image_too_large' },
  { label: 'a good photo beside a bad one', ...upload(() => [aPhoto(), { bytes: 'nope', filename: 'b.jpg' }]), status: 415, code: 'not_an_image' },
  { label: 'a photo over 10 MB', ...upload(() => [{ bytes: randomBytes(maxPhotoBytes + 1), filename: 'big.jpg' }]), status: 413, code: 'file_too_large' },
  { label: 'too many photos', ...upload(() => Array.from({ length: maxPhotosPerRequest + 1 }, (_, i) => aPhoto(`${i}.jpg`))), status: 413, code: 'too_many_files' },
  { label: 'photos in the wrong field', ...upload(() => [{ ...aPhoto(), field: 'file' }]), status: 400, code: 'unexpected_field' },
  { label: 'a snapshot that is not an image', ...post('/api/people/Ada/photos', () => json({ snapshot: `data:image/jpeg;base64,${Buffer.from('<script>').toString('base64')}` })), status: 415, code: 'not_an_image' },
  { label: 'a snapshot that is not a data URL', ...post('/api/people/Ada/photos', () => json({ snapshot: 'file:///etc/passwd' })), status: 400, code: 'invalid_snapshot' },
  ...rowsOf({ status: 400, code: 'invalid_model' }, {
    'a model that is not one': put('/api/faces', () => json({ people: 'everyone' })),
    'a model as text/plain': put('/api/faces', () => ({ type: 'text/plain', bytes: JSON.stringify(faceModelOf([])) })),
    'a descriptor of the wrong length': put('/api/faces/people/Ada', () => json({ descriptors: [{ ...descriptorEntry('photo-1.jpg', 1), descriptor: 'AAAA' }], rejected: [] })),
    'descriptors for a photo path': patch('/api/faces/people/Ada', () => json({ remove: [{ $ne: null }] })),
  }),
  { label: 'sign in with a wrong password', ...signIn({ password: 'guess' }), status: 401, code: 'wrong_password', changes: onlyAFailedSignInCounted },
  ...rowsOf({ status: 400, code: 'invalid_password' }, {
    'sign in with no password': signIn({}),
    'sign in with a 10 kB password': signIn({ password: 'x'.repeat(10_000) }),
    'sign in with a password that is not a string': signIn({ password: ['a', 'b'] }),
  }),
  { label: 'sign in with a role of my choosing', ...signIn({ password: 'guess', role: 'admin' }), status: 400, code: 'invalid_body' },
]

describe(`${rows.length} hostile requests, with authentication on`, () => {
  const api = useTestApi(async (dataDir) => {
    await addFixturePhotos(dataDir, 'Ada', ['people/barack_obama/obama.jpg'])
    await writeFile(path.join(dataDir, 'faces.json'), JSON.stringify(faceModelOf([personModel('Ada', [descriptorEntry('photo-1.jpg', 1)])])))
  }, env)
  const cookies = {} as Record<Caller, string | undefined>
  let otherSecret: TempDataDir

  async function signIn(password: string): Promise<string> {
    const res = await send(api.url, 'POST', '/api/auth/login', {}, json({ password }))
    expect(res.status).toBe(200)
    return String(res.headers['set-cookie']).split(';')[0]!
  }

  beforeAll(async () => {
    photo = await readFile(path.join(facesDir, 'people/barack_obama/obama_small.jpg'))
    cookies.admin = await signIn(env.ADMIN_PASSWORD)
    cookies.viewer = await signIn(env.VIEWER_PASSWORD)
    cookies['signed-out'] = await signIn(env.ADMIN_PASSWORD)
    expect((await send(api.url, 'POST', '/api/auth/logout', { cookie: cookies['signed-out'] })).status).toBe(204)

    // Signed with the secret the API signs with, in its data folder or its database.
    const backend = openBackend({ dataDir: api.dataDir, databaseUrl: databaseOf(api.dataDir) ?? null })
    const expired = await new SessionKeeper(backend.sessions, auth).issue('admin', Date.now() - auth.sessionTtlMs - 1000)
    await backend.close()
    cookies.expired = `${sessionCookie}=${expired.token}`
    const [viewerPayload, viewerSignature] = cookies.viewer.split('=')[1]!.split('.') as [string, string]
    const claims = JSON.parse(Buffer.from(viewerPayload, 'base64url').toString('utf8'))
    cookies['tampered-role'] = `${sessionCookie}=${Buffer.from(JSON.stringify({ ...claims, role: 'admin' })).toString('base64url')}.${viewerSignature}`
    const [adminPayload, adminSignature] = cookies.admin.split('=')[1]!.split('.') as [string, string]
    const flipped = `${adminSignature.startsWith('A') ? 'B' : 'A'}${adminSignature.slice(1)}`
    cookies['bad-signature'] = `${sessionCookie}=${adminPayload}.${flipped}`
    otherSecret = await createTempDataDir()
    cookies['other-secret'] = `${sessionCookie}=${(await new SessionKeeper(otherSecret.path, auth).issue('admin')).token}`
    cookies.garbage = `${sessionCookie}=..%00<script>`
    cookies['other-cookie'] = 'theme=dark'
    cookies.none = undefined
  })
  afterAll(async () => {
    await otherSecret?.remove()
  })

  it('has at least 50 rows', () => {
    expect(rows.length).toBeGreaterThanOrEqual(50)
  })

  it.each(rows)('$method $route: $label → $status', async (row) => {
    const before = await storedSnapshot(api.dataDir)
    const cookie = cookies[row.as ?? 'admin']
    const headers = { ...(cookie ? { cookie } : {}), ...row.headers }

    const res = await send(api.url, row.method, row.route, headers, await row.body?.())

    expect(res.status).toBe(row.status)
    if (row.code) expect(res.body?.error?.code).toBe(row.code)
    if (res.status >= 400) expect(res.body?.error?.message).toMatch(/\S/)
    expect(res.headers['access-control-allow-origin']).toBeUndefined()
    const after = await storedSnapshot(api.dataDir)
    const added = Object.keys(after).filter((file) => !(file in before))
    const removed = Object.keys(before).filter((file) => !(file in after))
    const changed = Object.keys(before).filter((file) => file in after && before[file] !== after[file])
    if (row.changes) row.changes(added, changed, removed)
    else expect({ added, changed, removed }).toEqual({ added: [], changed: [], removed: [] })
  })
})
