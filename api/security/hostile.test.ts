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
import { useTestApi } from '../../tests/support/api.js'
import { addFixturePhotos, createTempDataDir, facesDir, snapshotDir, type TempDataDir } from '../../tests/support/data.js'
import { descriptorEntry, faceModelOf, personModel, seededDescriptor } from '../../tests/support/faces.js'

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

/** A few hundred bytes that declare a 100,000 x 100,000 grey image: ten gigapixels if decoded. */
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
  /** What the request may change on disk; by default nothing. */
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

const rows: Row[] = [
  // No session, or one that is not valid: 401 on every route that needs one.
  { label: 'list people without a session', method: 'GET', route: '/api/users', as: 'none', status: 401, code: 'unauthenticated' },
  { label: 'one person without a session', method: 'GET', route: '/api/users/Ada', as: 'none', status: 401, code: 'unauthenticated' },
  { label: 'read the model without a session', method: 'GET', route: '/api/faces', as: 'none', status: 401, code: 'unauthenticated' },
  { label: 'export the model without a session', method: 'GET', route: '/api/faces/export', as: 'none', status: 401, code: 'unauthenticated' },
  { label: 'photo hashes without a session', method: 'GET', route: '/api/faces/photos', as: 'none', status: 401, code: 'unauthenticated' },
  { label: 'a photo without a session', method: 'GET', route: '/data/users/Ada/photo-1.jpg', as: 'none', status: 401, code: 'unauthenticated' },
  { label: 'register without a session', method: 'POST', route: '/api/users', as: 'none', body: () => json({ name: 'Mallory' }), status: 401, code: 'unauthenticated' },
  { label: 'delete a person without a session', method: 'DELETE', route: '/api/users/Ada', as: 'none', status: 401, code: 'unauthenticated' },
  { label: 'upload without a session', method: 'POST', route: '/api/users/Ada/photos', as: 'none', body: () => multipart([{ bytes: photo, filename: 'a.jpg' }]), status: 401, code: 'unauthenticated' },
  { label: 'replace the model without a session', method: 'PUT', route: '/api/faces', as: 'none', body: () => json(faceModelOf([])), status: 401, code: 'unauthenticated' },
  { label: 'patch descriptors without a session', method: 'PATCH', route: '/api/faces/people/Ada', as: 'none', body: () => json(personModelBody), status: 401, code: 'unauthenticated' },
  { label: 'match faces without a session', method: 'POST', route: '/api/faces/match', as: 'none', body: () => json({ descriptors: [Array.from(seededDescriptor(1))] }), status: 401, code: 'unauthenticated' },
  { label: 'model events without a session', method: 'GET', route: '/api/faces/events', as: 'none', status: 401, code: 'unauthenticated' },
  { label: 'an unknown API route without a session', method: 'GET', route: '/api/secrets', as: 'none', status: 401, code: 'unauthenticated' },
  { label: 'the API in capitals without a session', method: 'GET', route: '/API/USERS', as: 'none', status: 401, code: 'unauthenticated' },
  { label: 'a garbage session cookie', method: 'GET', route: '/api/users', as: 'garbage', status: 401, code: 'unauthenticated' },
  { label: 'another cookie, not the session', method: 'GET', route: '/api/users', as: 'other-cookie', status: 401, code: 'unauthenticated' },
  { label: 'an expired session', method: 'GET', route: '/api/users', as: 'expired', status: 401, code: 'unauthenticated' },
  { label: 'a viewer session edited to say admin', method: 'GET', route: '/api/users', as: 'tampered-role', status: 401, code: 'unauthenticated' },
  { label: 'a session with a changed signature', method: 'GET', route: '/api/users', as: 'bad-signature', status: 401, code: 'unauthenticated' },
  { label: 'a session signed with another server’s secret', method: 'GET', route: '/api/users', as: 'other-secret', status: 401, code: 'unauthenticated' },
  { label: 'a session that signed out', method: 'GET', route: '/api/faces', as: 'signed-out', status: 401, code: 'unauthenticated' },
  { label: 'a tampered session writing', method: 'DELETE', route: '/api/users/Ada', as: 'tampered-role', status: 401, code: 'unauthenticated' },

  // The viewer's session: the model only.
  { label: 'viewer lists people', method: 'GET', route: '/api/users', as: 'viewer', status: 403, code: 'forbidden' },
  { label: 'viewer registers a person', method: 'POST', route: '/api/users', as: 'viewer', body: () => json({ name: 'Mallory' }), status: 403, code: 'forbidden' },
  { label: 'viewer renames a person', method: 'PATCH', route: '/api/users/Ada', as: 'viewer', body: () => json({ name: 'Eve' }), status: 403, code: 'forbidden' },
  { label: 'viewer deletes a person', method: 'DELETE', route: '/api/users/Ada', as: 'viewer', status: 403, code: 'forbidden' },
  { label: 'viewer uploads a photo', method: 'POST', route: '/api/users/Ada/photos', as: 'viewer', body: () => multipart([{ bytes: photo, filename: 'a.jpg' }]), status: 403, code: 'forbidden' },
  { label: 'viewer deletes a photo', method: 'DELETE', route: '/api/users/Ada/photos/photo-1.jpg', as: 'viewer', status: 403, code: 'forbidden' },
  { label: 'viewer reads a photo', method: 'GET', route: '/data/users/Ada/photo-1.jpg', as: 'viewer', status: 403, code: 'forbidden' },
  { label: 'viewer exports the model', method: 'GET', route: '/api/faces/export', as: 'viewer', status: 403, code: 'forbidden' },
  { label: 'viewer matches a face (the Recognize page may)', method: 'POST', route: '/api/faces/match', as: 'viewer', body: () => json({ descriptors: [Array.from(seededDescriptor(1))] }), status: 200 },
  { label: 'viewer replaces the model', method: 'PUT', route: '/api/faces', as: 'viewer', body: () => json(faceModelOf([])), status: 403, code: 'forbidden' },
  { label: 'viewer replaces a person’s descriptors', method: 'PUT', route: '/api/faces/people/Ada', as: 'viewer', body: () => json(personModelBody), status: 403, code: 'forbidden' },
  { label: 'viewer removes a person’s descriptors', method: 'DELETE', route: '/api/faces/people/Ada', as: 'viewer', status: 403, code: 'forbidden' },
  { label: 'viewer writes the model through a trailing slash', method: 'PUT', route: '/api/faces/', as: 'viewer', body: () => json(faceModelOf([])), status: 403, code: 'forbidden' },

  // Another site's page, with the admin's cookie riding along.
  { label: 'cross-origin register', method: 'POST', route: '/api/users', headers: evil, body: () => json({ name: 'Mallory' }), status: 403, code: 'cross_origin' },
  { label: 'cross-origin delete', method: 'DELETE', route: '/api/users/Ada', headers: evil, status: 403, code: 'cross_origin' },
  { label: 'cross-origin model write', method: 'PUT', route: '/api/faces', headers: evil, body: () => json(faceModelOf([])), status: 403, code: 'cross_origin' },
  { label: 'cross-origin match', method: 'POST', route: '/api/faces/match', headers: evil, body: () => json({ descriptors: [Array.from(seededDescriptor(1))] }), status: 403, code: 'cross_origin' },
  { label: 'cross-origin upload', method: 'POST', route: '/api/users/Ada/photos', headers: evil, body: () => multipart([{ bytes: photo, filename: 'a.jpg' }]), status: 403, code: 'cross_origin' },
  { label: 'cross-origin sign-in', method: 'POST', route: '/api/auth/login', as: 'none', headers: evil, body: () => json({ password: env.ADMIN_PASSWORD }), status: 403, code: 'cross_origin' },
  { label: 'a sandboxed page (Origin: null)', method: 'DELETE', route: '/api/users/Ada', headers: { origin: 'null' }, status: 403, code: 'cross_origin' },
  { label: 'same host, other port', method: 'DELETE', route: '/api/users/Ada', headers: { origin: 'http://127.0.0.1:1' }, status: 403, code: 'cross_origin' },
  { label: 'Sec-Fetch-Site cross-site without Origin', method: 'POST', route: '/api/users', headers: { 'sec-fetch-site': 'cross-site' }, body: () => json({ name: 'Mallory' }), status: 403, code: 'cross_origin' },
  { label: 'a text/plain form from another site', method: 'POST', route: '/api/users', headers: evil, body: () => ({ type: 'text/plain', bytes: '{"name":"Mallory"}' }), status: 403, code: 'cross_origin' },

  // Paths in every path parameter, plain and encoded.
  { label: 'person name ../../etc', method: 'GET', route: '/api/users/..%2F..%2Fetc', status: 400, code: 'invalid_name' },
  { label: 'person name ..', method: 'GET', route: '/api/users/%2e%2e', status: 400, code: 'invalid_name' },
  { label: 'person name double-encoded', method: 'DELETE', route: '/api/users/..%252F..%252Ffaces.json', status: 400, code: 'invalid_name' },
  { label: 'person name with a backslash', method: 'DELETE', route: '/api/users/..%5C..%5Cfaces.json', status: 400, code: 'invalid_name' },
  { label: 'person name with a NUL byte', method: 'GET', route: '/api/users/Ada%00.jpg', status: 400, code: 'invalid_name' },
  { label: 'person name that is hidden', method: 'DELETE', route: '/api/users/.auth', status: 400, code: 'invalid_name' },
  { label: 'rename to a path', method: 'PATCH', route: '/api/users/Ada', body: () => json({ name: '../../escaped' }), status: 400, code: 'invalid_name' },
  { label: 'register a path', method: 'POST', route: '/api/users', body: () => json({ name: '../faces.json' }), status: 400, code: 'invalid_name' },
  { label: 'register a full-width dot path', method: 'POST', route: '/api/users', body: () => json({ name: '\uff0e\uff0e\uff0fx' }), status: 400, code: 'invalid_name' },
  { label: 'upload to a path', method: 'POST', route: '/api/users/..%2F.auth/photos', body: () => multipart([{ bytes: photo, filename: 'a.jpg' }]), status: 400, code: 'invalid_name' },
  { label: 'photo name ../../faces.json', method: 'DELETE', route: '/api/users/Ada/photos/..%2F..%2F..%2Ffaces.json', status: 404, code: 'photo_not_found' },
  { label: 'photo name ..', method: 'DELETE', route: '/api/users/Ada/photos/%2e%2e', status: 404, code: 'photo_not_found' },
  { label: 'photo name double-encoded', method: 'DELETE', route: '/api/users/Ada/photos/..%252Fphoto-1.jpg', status: 404, code: 'photo_not_found' },
  { label: 'descriptors of a path', method: 'PUT', route: '/api/faces/people/..%2F..%2Fx', body: () => json(personModelBody), status: 400, code: 'invalid_name' },
  { label: 'descriptors of ..', method: 'DELETE', route: '/api/faces/people/%2e%2e', status: 400, code: 'invalid_name' },
  { label: 'served photo ../faces.json', method: 'GET', route: '/data/users/..%2Ffaces.json', status: 404, code: 'not_found' },
  { label: 'served photo ../../ encoded dots', method: 'GET', route: '/data/users/%2e%2e/%2e%2e/etc/passwd', status: 404, code: 'not_found' },
  { label: 'served photo through a person', method: 'GET', route: '/data/users/Ada/..%2F..%2Ffaces.json', status: 404, code: 'not_found' },
  { label: 'served session secret', method: 'GET', route: '/data/.auth/session-secret', status: 404, code: 'not_found' },
  { label: 'served hidden file', method: 'GET', route: '/data/users/Ada/.upload-x.jpg', status: 404, code: 'not_found' },
  { label: 'model weights ../package.json', method: 'GET', route: `${modelsUrl}..%2F..%2Fpackage.json`, as: 'none', status: 404, code: 'not_found' },
  { label: 'WASM ../package.json', method: 'GET', route: `${wasmUrl}..%2Fpackage.json`, as: 'none', status: 404, code: 'not_found' },
  { label: 'upload named ../../../faces.json (text)', method: 'POST', route: '/api/users/Ada/photos', body: () => multipart([{ bytes: '{"people":[]}', filename: '../../../faces.json' }]), status: 415, code: 'not_an_image' },
  { label: 'upload named ..\\..\\escaped.jpg', method: 'POST', route: '/api/users/Ada/photos', body: () => multipart([{ bytes: photo, filename: '..\\..\\escaped.jpg' }]), status: 201, changes: onlyANewPhotoOfAda },
  { label: 'upload named /etc/cron.d/x', method: 'POST', route: '/api/users/Ada/photos', body: () => multipart([{ bytes: photo, filename: '/etc/cron.d/x' }]), status: 201, changes: onlyANewPhotoOfAda },
  { label: 'upload named .auth', method: 'POST', route: '/api/users/Ada/photos', body: () => multipart([{ bytes: photo, filename: '.auth' }]), status: 201, changes: onlyANewPhotoOfAda },

  // Bodies: malformed, oversize, not what they say they are.
  { label: 'malformed JSON', method: 'POST', route: '/api/users', body: () => rawJson('{"name": '), status: 400, code: 'invalid_json' },
  { label: 'a JSON body over 100 kB', method: 'POST', route: '/api/users', body: () => json({ name: 'x'.repeat(200_000) }), status: 413, code: 'payload_too_large' },
  { label: 'a name that is not a string', method: 'POST', route: '/api/users', body: () => json({ name: { $gt: '' } }), status: 400, code: 'invalid_name' },
  { label: 'a prototype-polluting body', method: 'POST', route: '/api/users', body: () => rawJson('{"__proto__":{"admin":true},"name":"Ada2"}'), status: 400, code: 'invalid_body' },
  { label: 'register as text/plain', method: 'POST', route: '/api/users', body: () => ({ type: 'text/plain', bytes: 'name=Mallory' }), status: 400, code: 'invalid_name' },
  { label: 'upload as text/plain', method: 'POST', route: '/api/users/Ada/photos', body: () => ({ type: 'text/plain', bytes: 'hello' }), status: 415, code: 'unsupported_content_type' },
  { label: 'multipart without a boundary', method: 'POST', route: '/api/users/Ada/photos', body: () => ({ type: 'multipart/form-data', bytes: 'x' }), status: 400, code: 'bad_upload' },
  { label: 'a form cut short', method: 'POST', route: '/api/users/Ada/photos', body: () => ({ type: 'multipart/form-data; boundary=XX', bytes: '--XX\r\nContent-Disposition: form-data; name="photos"; filename="a.jpg"\r\n\r\nhalf' }), status: 400, code: 'bad_upload' },
  { label: 'a text file named .jpg', method: 'POST', route: '/api/users/Ada/photos', body: () => multipart([{ bytes: 'not a photo', filename: 'photo.jpg' }]), status: 415, code: 'not_an_image' },
  { label: 'a PDF named .jpg', method: 'POST', route: '/api/users/Ada/photos', body: () => multipart([{ bytes: '%PDF-1.4\n%%EOF\n', filename: 'photo.jpg', type: 'application/pdf' }]), status: 415, code: 'not_an_image' },
  { label: 'an SVG with a script', method: 'POST', route: '/api/users/Ada/photos', body: () => multipart([{ bytes: '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', filename: 'x.svg', type: 'image/svg+xml' }]), status: 415, code: 'not_an_image' },
  { label: 'a decompression bomb PNG', method: 'POST', route: '/api/users/Ada/photos', body: () => multipart([{ bytes: decompressionBomb(), filename: 'bomb.png', type: 'image/png' }]), status: 413, code: 'image_too_large' },
  { label: 'a good photo beside a bad one', method: 'POST', route: '/api/users/Ada/photos', body: () => multipart([{ bytes: photo, filename: 'a.jpg' }, { bytes: 'nope', filename: 'b.jpg' }]), status: 415, code: 'not_an_image' },
  { label: 'a photo over 10 MB', method: 'POST', route: '/api/users/Ada/photos', body: () => multipart([{ bytes: randomBytes(maxPhotoBytes + 1), filename: 'big.jpg' }]), status: 413, code: 'file_too_large' },
  { label: 'too many photos', method: 'POST', route: '/api/users/Ada/photos', body: () => multipart(Array.from({ length: maxPhotosPerRequest + 1 }, (_, i) => ({ bytes: photo, filename: `${i}.jpg` }))), status: 413, code: 'too_many_files' },
  { label: 'photos in the wrong field', method: 'POST', route: '/api/users/Ada/photos', body: () => multipart([{ bytes: photo, filename: 'a.jpg', field: 'file' }]), status: 400, code: 'unexpected_field' },
  { label: 'a snapshot that is not an image', method: 'POST', route: '/api/users/Ada/photos', body: () => json({ snapshot: `data:image/jpeg;base64,${Buffer.from('<script>').toString('base64')}` }), status: 415, code: 'not_an_image' },
  { label: 'a snapshot that is not a data URL', method: 'POST', route: '/api/users/Ada/photos', body: () => json({ snapshot: 'file:///etc/passwd' }), status: 400, code: 'invalid_snapshot' },
  { label: 'a model that is not one', method: 'PUT', route: '/api/faces', body: () => json({ people: 'everyone' }), status: 400, code: 'invalid_model' },
  { label: 'a model as text/plain', method: 'PUT', route: '/api/faces', body: () => ({ type: 'text/plain', bytes: JSON.stringify(faceModelOf([])) }), status: 400, code: 'invalid_model' },
  { label: 'a descriptor of the wrong length', method: 'PUT', route: '/api/faces/people/Ada', body: () => json({ descriptors: [{ ...descriptorEntry('photo-1.jpg', 1), descriptor: 'AAAA' }], rejected: [] }), status: 400, code: 'invalid_model' },
  { label: 'descriptors for a photo path', method: 'PATCH', route: '/api/faces/people/Ada', body: () => json({ remove: [{ $ne: null }] }), status: 400, code: 'invalid_model' },
  { label: 'sign in with a wrong password', method: 'POST', route: '/api/auth/login', as: 'none', body: () => json({ password: 'guess' }), status: 401, code: 'wrong_password', changes: onlyAFailedSignInCounted },
  { label: 'sign in with no password', method: 'POST', route: '/api/auth/login', as: 'none', body: () => json({}), status: 400, code: 'invalid_password' },
  { label: 'sign in with a 10 kB password', method: 'POST', route: '/api/auth/login', as: 'none', body: () => json({ password: 'x'.repeat(10_000) }), status: 400, code: 'invalid_password' },
  { label: 'sign in with a password that is not a string', method: 'POST', route: '/api/auth/login', as: 'none', body: () => json({ password: ['a', 'b'] }), status: 400, code: 'invalid_password' },
  { label: 'sign in with a role of my choosing', method: 'POST', route: '/api/auth/login', as: 'none', body: () => json({ password: 'guess', role: 'admin' }), status: 400, code: 'invalid_body' },
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

    const keeper = new SessionKeeper(api.dataDir, auth)
    const expired = await keeper.issue('admin', Date.now() - auth.sessionTtlMs - 1000)
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
    const before = await snapshotDir(api.dataDir)
    const cookie = cookies[row.as ?? 'admin']
    const headers = { ...(cookie ? { cookie } : {}), ...row.headers }

    const res = await send(api.url, row.method, row.route, headers, await row.body?.())

    expect(res.status).toBe(row.status)
    if (row.code) expect(res.body?.error?.code).toBe(row.code)
    if (res.status >= 400) expect(res.body?.error?.message).toMatch(/\S/)
    expect(res.headers['access-control-allow-origin']).toBeUndefined()
    const after = await snapshotDir(api.dataDir)
    const added = Object.keys(after).filter((file) => !(file in before))
    const removed = Object.keys(before).filter((file) => !(file in after))
    const changed = Object.keys(before).filter((file) => file in after && before[file] !== after[file])
    if (row.changes) row.changes(added, changed, removed)
    else expect({ added, changed, removed }).toEqual({ added: [], changed: [], removed: [] })
  })
})
