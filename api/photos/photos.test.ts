import { spawn } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { mkdir, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises'
import { request } from 'node:http'
import os from 'node:os'
import path from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startApi, useTestApi } from '../../tests/support/api.js'
import { addFixturePhotos, createTempDataDir, facesDir, fixturesDir, snapshotDir } from '../../tests/support/data.js'
import { storedFiles, storedModel, storedPhoto } from '../../tests/support/stored.js'
import { decodePhoto, nodeFaceRuntime } from '../faces/node-runtime.js'
import { enrollDefaults, enrollFace, enrollRetries, type EnrollOptions, type FaceRuntime } from '../../shared/face/enroll.js'
import { PersonSchema } from '../people/schema.js'
import { storedPhotoName } from '../storage/people-folders.js'
import { maxInputPixels, maxPhotoBytes, maxPhotosPerRequest, storedHeight, storedWidth } from '../../shared/photos/limits.js'
import type { StoredPhoto } from './schema.js'

const fixture = (photo: string) => path.join(facesDir, photo)
const landscapePhoto = fixture('people/kit_harington/john1.jpeg')
const smallPhoto = 'people/barack_obama/obama_small.jpg'
const webpNamedJpg = path.join(fixturesDir, 'verification/images/img47.jpg')

// Files this test makes, in its own temp folder: nothing is generated inside the repository.
const workDir = path.join(os.tmpdir(), `facer-photos-test-${randomBytes(6).toString('hex')}`)
const generated = {
  text: path.join(workDir, 'text.jpg'),
  truncated: path.join(workDir, 'truncated.jpg'),
  empty: path.join(workDir, 'empty.jpg'),
  pdf: path.join(workDir, 'document.jpg'),
  hugePng: path.join(workDir, 'huge.png'),
  oversize: path.join(workDir, 'oversize.jpg'),
  // Real JPEGs made large with comments: one of exactly the size limit, one of 10.09 MiB, as the hostile test sent.
  atLimit: path.join(workDir, 'at-limit.jpg'),
  overLimit: path.join(workDir, 'over-limit.jpg'),
  rotatedWithGps: path.join(workDir, 'rotated-with-gps.jpg'),
  phonePortrait: path.join(workDir, 'phone-portrait.jpg'),
  dark: path.join(workDir, 'dark.jpg'),
}

/** The JPEG grown to exactly `size` bytes with comment (COM) segments after its start marker, which decoders skip. */
function paddedJpeg(jpeg: Buffer, size: number): Buffer {
  const segments: Buffer[] = []
  for (let missing = size - jpeg.length; missing > 0; ) {
    // A segment is its marker, a length that counts itself, and at most 65,533 bytes; none may be under 4 bytes.
    let length = Math.min(missing, 65_537)
    if (missing - length > 0 && missing - length < 4) length -= 4
    const segment = Buffer.alloc(length, 0x20)
    segment.writeUInt16BE(0xfffe, 0)
    segment.writeUInt16BE(length - 2, 2)
    segments.push(segment)
    missing -= length
  }
  return Buffer.concat([jpeg.subarray(0, 2), ...segments, jpeg.subarray(2)])
}

// The EXIF tag 0x8825 that points to the GPS block, little-endian as libvips writes it.
const gpsInfoTag = Buffer.from([0x25, 0x88])

beforeAll(async () => {
  await mkdir(workDir)
  const jpeg = await readFile(fixture('people/barack_obama/obama.jpg'))
  const files: [string, Buffer | string][] = [
    [generated.text, 'This is a text file, not a photo.\n'],
    [generated.truncated, jpeg.subarray(0, Math.floor(jpeg.length / 2))],
    [generated.empty, Buffer.alloc(0)],
    [generated.pdf, '%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n'],
    [
      generated.hugePng,
      await sharp({
        create: { width: 10_000, height: maxInputPixels / 10_000 + 1, channels: 3, background: { r: 90, g: 90, b: 90 } },
      })
        .png()
        .toBuffer(),
    ],
    [generated.oversize, randomBytes(maxPhotoBytes + 1)],
    [generated.atLimit, paddedJpeg(jpeg, maxPhotoBytes)],
    [generated.overLimit, paddedJpeg(jpeg, Math.round(10.09 * 1024 * 1024))],
    // As a camera writes it: pixels stored landscape, a tag saying "turn 90° clockwise to view", and where it was taken.
    [
      generated.rotatedWithGps,
      await sharp(landscapePhoto)
        .withMetadata({ orientation: 6 })
        .withExif({ IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '51/1 30/1 0/1', GPSLongitudeRef: 'W', GPSLongitude: '0/1 7/1 0/1' } })
        .jpeg()
        .toBuffer(),
    ],
    // A phone's portrait photo, 12 megapixels, the person a few steps away: fitted whole to 320x247, the face would be 20 px.
    [
      generated.phonePortrait,
      await sharp({ create: { width: 3024, height: 4032, channels: 3, background: { r: 200, g: 200, b: 190 } } })
        .composite([{ input: await sharp(fixture('people/barack_obama/obama.jpg')).resize(1400).toBuffer(), left: 900, top: 1800 }])
        .jpeg({ quality: 85 })
        .toBuffer(),
    ],
    // A dark, low-contrast picture, as a webcam gives in a dim room: no detector finds its face as it is.
    [generated.dark, await sharp(fixture('people/kit_harington/johnsnow_test1.jpg')).linear(0.12, 0).jpeg({ quality: 90 }).toBuffer()],
  ]
  for (const [file, content] of files) await writeFile(file, content)
}, 60_000)
afterAll(async () => {
  await rm(workDir, { recursive: true, force: true })
})

interface Part {
  /** An absolute path: a fixture or a generated file. */
  file: string
  field?: string
  filename?: string
}

const typeByExtension: Record<string, string> = { '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.png': 'image/png' }

async function multipart(parts: Part[]): Promise<RequestInit> {
  const form = new FormData()
  for (const { file, field = 'photos', filename = path.basename(file) } of parts) {
    const blob = new Blob([await readFile(file)], { type: typeByExtension[path.extname(filename)] })
    form.append(field, blob, filename)
  }
  return { method: 'POST', body: form }
}

function jsonBody(body: string): RequestInit {
  return { method: 'POST', headers: { 'content-type': 'application/json' }, body }
}

const snapshot = (value: unknown) => jsonBody(JSON.stringify({ snapshot: value }))

async function dataUrl(file: string, format: 'jpeg' | 'png' | 'webp'): Promise<string> {
  const bytes = await sharp(file).toFormat(format).toBuffer()
  return `data:image/${format};base64,${bytes.toString('base64')}`
}

const photosOf = (person: string) => `/api/people/${encodeURIComponent(person)}/photos`

/** A replacement: the same form, sent with PUT to a photo's URL. */
const put = async (parts: Part[]): Promise<RequestInit> => ({ ...(await multipart(parts)), method: 'PUT' })

/** One pixel column or row. */
type Line = { x: number } | { y: number }

/** The brightest channel value along one pixel column or row of a decoded image. */
async function brightest(image: Buffer, line: Line): Promise<number> {
  const { data, info } = await sharp(image).removeAlpha().raw().toBuffer({ resolveWithObject: true })
  let max = 0
  const length = 'x' in line ? info.height : info.width
  for (let i = 0; i < length; i++) {
    const [x, y] = 'x' in line ? [line.x, i] : [i, line.y]
    const offset = (y * info.width + x) * info.channels
    for (let c = 0; c < info.channels; c++) max = Math.max(max, data[offset + c] ?? 0)
  }
  return max
}

interface BadRequest {
  label: string
  route?: string
  request: () => Promise<RequestInit>
  status: number
  code: string
}

function rawMultipart(type: string, body: string): RequestInit {
  return { method: 'POST', headers: { 'content-type': type }, body }
}

const cutShortForm = [
  '--XX',
  'Content-Disposition: form-data; name="photos"; filename="a.jpg"',
  'Content-Type: image/jpeg',
  '',
  'the file starts but the form never ends',
].join('\r\n')

function formWithText(): FormData {
  const form = new FormData()
  form.append('caption', 'a form with a text field and no photos')
  return form
}

// JPEG leaves black padding very nearly, not exactly, black.
const blackAtMost = 16
const contentAtLeast = 64

/** Lines near the edges of a stored photo: which must be black padding, and which the picture must reach. */
interface Framing {
  black: Line[]
  content: Line[]
}
const top = { y: 5 }
const bottom = { y: storedHeight - 6 }
const left = { x: 5 }
const right = { x: storedWidth - 5 }
/** Bars above and below: a landscape photo. */
const letterbox: Framing = { black: [top, bottom], content: [left, right] }
/** Bars left and right: a portrait photo. */
const pillarbox: Framing = { black: [left, right], content: [top, bottom] }
/** No bars: a frame cut from the picture around its face. */
const fullFrame: Framing = { black: [], content: [top, bottom, left, right] }

async function expectFraming(stored: Buffer, { black, content }: Framing): Promise<void> {
  for (const line of black) expect(await brightest(stored, line), JSON.stringify(line)).toBeLessThanOrEqual(blackAtMost)
  for (const line of content) expect(await brightest(stored, line), JSON.stringify(line)).toBeGreaterThanOrEqual(contentAtLeast)
}

describe('photos: upload and delete', () => {
  const api = useTestApi()

  async function send(route: string, init: RequestInit) {
    const res = await fetch(`${api.url}${route}`, init)
    const text = await res.text()
    return { status: res.status, body: text ? JSON.parse(text) : undefined }
  }

  /** Checks one stored photo and returns its bytes. */
  async function expectStoredPhoto(person: string, photo: string): Promise<Buffer> {
    const bytes = await storedPhoto(api.dataDir, person, photo)
    const meta = await sharp(bytes).metadata()
    expect(meta).toMatchObject({ format: 'jpeg', width: storedWidth, height: storedHeight })
    expect(meta.exif).toBeUndefined()
    return bytes
  }

  async function newFiles(before: string[]): Promise<string[]> {
    return (await storedFiles(api.dataDir)).filter((file) => !before.includes(file))
  }

  beforeAll(async () => {
    for (const name of ['Ada', 'Zo\u00eb Ng']) {
      const res = await send('/api/people', jsonBody(JSON.stringify({ name })))
      expect(res.status).toBe(201)
    }
  })

  it('stores three photos sent in one request, each a 320x247 JPEG', async () => {
    const before = await storedFiles(api.dataDir)
    const res = await send(
      photosOf('Ada'),
      await multipart([
        { file: fixture('people/barack_obama/obama.jpg') },
        { file: fixture('people/joe_biden/biden.jpg') },
        { file: fixture('people/joe_biden/biden2.jpg') },
      ]),
    )

    expect(res.status).toBe(201)
    const stored: StoredPhoto[] = res.body.photos
    expect(stored).toHaveLength(3)
    for (const photo of stored) {
      expect(photo.name).toMatch(storedPhotoName)
      expect(photo.url).toBe(`/data/users/Ada/${photo.name}`)
      await expectStoredPhoto('Ada', photo.name)
      const bytes = await storedPhoto(api.dataDir, 'Ada', photo.name)
      expect(photo.hash, 'SHA-256 of the stored file').toBe(createHash('sha256').update(bytes).digest('hex'))
    }
    const photos = stored.map(({ name, url }) => ({ name, url }))
    expect(PersonSchema.parse(res.body.person)).toEqual({ name: 'Ada', photoCount: 3, photos })
    expect(await newFiles(before)).toEqual(photos.map((photo) => path.join('users', 'Ada', photo.name)))

    const served = await fetch(`${api.url}${photos[0]?.url}`)
    expect(served.status).toBe(200)
    expect(served.headers.get('content-type')).toBe('image/jpeg')
  })

  it.each([
    { label: 'a WebP file named .jpg', part: { file: webpNamedJpg } },
    { label: 'a PNG', part: { file: fixture('people/alex_lacamoire/alex-lacamoire.png') } },
    { label: 'a JPEG named .jpeg', part: { file: landscapePhoto } },
    { label: 'a photo whose file name is a path', part: { file: fixture(smallPhoto), filename: '../../escaped.jpg' } },
  ])('accepts $label, judged by its content', async ({ part }) => {
    const before = await storedFiles(api.dataDir)
    const res = await send(photosOf('Ada'), await multipart([part]))

    expect(res.status).toBe(201)
    expect(res.body.photos).toHaveLength(1)
    await expectStoredPhoto('Ada', res.body.photos[0].name)
    expect(await newFiles(before)).toEqual([path.join('users', 'Ada', res.body.photos[0].name)])
  })

  it.each(['jpeg', 'png', 'webp'] as const)('accepts a camera snapshot as a %s data URL', async (format) => {
    const before = await storedFiles(api.dataDir)
    const res = await send(photosOf('Ada'), snapshot(await dataUrl(fixture(smallPhoto), format)))

    expect(res.status).toBe(201)
    expect(res.body.photos).toHaveLength(1)
    await expectStoredPhoto('Ada', res.body.photos[0].name)
    expect(await newFiles(before)).toEqual([path.join('users', 'Ada', res.body.photos[0].name)])
  })

  it.each([
    { label: 'as a file', request: () => multipart([{ file: generated.atLimit }]) },
    { label: 'as a snapshot', request: async () => snapshot(`data:image/jpeg;base64,${(await readFile(generated.atLimit)).toString('base64')}`) },
  ])('accepts a JPEG of exactly the size limit $label', async ({ request }) => {
    expect((await stat(generated.atLimit)).size).toBe(maxPhotoBytes)
    const res = await send(photosOf('Ada'), await request())

    expect(res.status).toBe(201)
    await expectStoredPhoto('Ada', res.body.photos[0].name)
  })

  it('stores photos for a name that needs encoding in the URL', async () => {
    const res = await send(photosOf('Zo\u00eb Ng'), await multipart([{ file: fixture(smallPhoto) }]))

    expect(res.status).toBe(201)
    const [photo] = res.body.photos
    expect(photo.url).toBe(`/data/users/Zo%C3%AB%20Ng/${photo.name}`)
    await expectStoredPhoto('Zo\u00eb Ng', photo.name)
    expect((await fetch(`${api.url}${photo.url}`)).status).toBe(200)
  })

  it.each([
    { label: 'a landscape group photo with black bars above and below', file: 'groups/two_people.jpg', framing: letterbox },
    { label: 'a portrait group photo with black bars left and right', file: 'groups/kit_with_rose.jpg', framing: pillarbox },
  ])('stores $label whole, and says why', async ({ file, framing }) => {
    const res = await send(photosOf('Ada'), await multipart([{ file: fixture(file) }]))
    expect(res.status).toBe(201)
    expect(res.body.photos[0].framing).toBe('Stored whole: 2 faces of similar size were found in the picture')
    const stored = await expectStoredPhoto('Ada', res.body.photos[0].name)

    await expectFraming(stored, framing)
  })

  it('stores a picture with no face whole, and says so', async () => {
    const noise = await sharp(randomBytes(600 * 400 * 3), { raw: { width: 600, height: 400, channels: 3 } }).png().toBuffer()
    await writeFile(path.join(workDir, 'noise.png'), noise)
    const res = await send(photosOf('Ada'), await multipart([{ file: path.join(workDir, 'noise.png') }]))
    expect(res.status).toBe(201)
    expect(res.body.photos[0].framing).toBe('Stored whole: no face was found in the picture')
    await expectFraming(await expectStoredPhoto('Ada', res.body.photos[0].name), letterbox)
  })

  it('turns a photo upright from its EXIF orientation and strips EXIF and GPS', async () => {
    const source = await sharp(generated.rotatedWithGps).metadata()
    expect(source).toMatchObject({ width: 1200, height: 599, orientation: 6 })
    expect(source.exif?.includes(gpsInfoTag)).toBe(true)

    const res = await send(photosOf('Ada'), await multipart([{ file: generated.rotatedWithGps }]))
    expect(res.status).toBe(201)
    const stored = await expectStoredPhoto('Ada', res.body.photos[0].name)
    const meta = await sharp(stored).metadata()
    expect(meta.orientation).toBeUndefined()
    expect(meta.exif).toBeUndefined()
    expect(stored.includes('Exif')).toBe(false)

    // The face is found only on the upright picture (the detectors miss sideways faces): the stored photo is framed around it.
    expect(res.body.photos[0].framing).toMatch(/^Framed around the face \(\d+ px across in the 599x1200 picture\)$/)
    await expectFraming(stored, fullFrame)
  })

  it('deletes one photo: 204, the file is gone, and a second delete is a 404', async () => {
    const upload = await send(photosOf('Ada'), await multipart([{ file: fixture(smallPhoto) }]))
    expect(upload.status).toBe(201)
    const { name, url } = upload.body.photos[0]
    const file = path.join('users', 'Ada', name)
    const count = upload.body.person.photoCount
    expect(await storedFiles(api.dataDir)).toContain(file)

    const res = await fetch(`${api.url}${photosOf('Ada')}/${name}`, { method: 'DELETE' })
    expect(res.status).toBe(204)
    expect(await storedFiles(api.dataDir)).not.toContain(file)
    expect((await send('/api/people/Ada', { method: 'GET' })).body.photoCount).toBe(count - 1)
    expect((await fetch(`${api.url}${url}`)).status).toBe(404)

    const again = await send(`${photosOf('Ada')}/${name}`, { method: 'DELETE' })
    expect(again.status).toBe(404)
    expect(again.body.error.code).toBe('photo_not_found')
  })

  it('replaces one photo: the new one is stored under a new name, the old one and its model entry are gone', async () => {
    const upload = await send(photosOf('Ada'), await multipart([{ file: fixture(smallPhoto) }]))
    const old = upload.body.photos[0].name as string
    const rejection = { photo: old, hash: upload.body.photos[0].hash, reason: 'no_face', detail: 'No face was found' }
    expect((await send('/api/faces/people/Ada', { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ rejected: [rejection] }) })).status).toBe(200)

    const res = await send(`${photosOf('Ada')}/${old}`, await put([{ file: landscapePhoto }]))
    expect(res.status).toBe(200)
    const [stored] = res.body.photos as StoredPhoto[]
    expect(stored!.name).not.toBe(old)
    expect(storedPhotoName.test(stored!.name)).toBe(true)
    const bytes = await expectStoredPhoto('Ada', stored!.name)
    expect(stored!.hash).toBe(createHash('sha256').update(bytes).digest('hex'))
    const names = (res.body.person.photos as { name: string }[]).map((photo) => photo.name)
    expect(names).toContain(stored!.name)
    expect(names).not.toContain(old)
    expect(await storedFiles(api.dataDir)).not.toContain(path.join('users', 'Ada', old))
    const model = await storedModel(api.dataDir)
    expect(model.people.find((person) => person.name === 'Ada')?.rejected).toEqual([])
  })
})

// The stored photo is what every trainer reads: each row's stored photo goes through the real enrollment.
describe('photos: framed around the face found on the picture as uploaded', () => {
  const api = useTestApi()
  let runtime: FaceRuntime

  beforeAll(async () => {
    runtime = await nodeFaceRuntime()
    expect((await fetch(`${api.url}/api/people`, jsonBody(JSON.stringify({ name: 'Ada' })))).status).toBe(201)
  }, 60_000)

  async function upload(file: string) {
    const res = await fetch(`${api.url}${photosOf('Ada')}`, await multipart([{ file }]))
    expect(res.status).toBe(201)
    const [photo] = ((await res.json()) as { photos: StoredPhoto[] }).photos
    return { photo: photo!, stored: await storedPhoto(api.dataDir, 'Ada', photo!.name) }
  }

  async function enrollStored(stored: Buffer, options: EnrollOptions = enrollDefaults) {
    const image = await decodePhoto(stored)
    try {
      return await enrollFace(runtime, image, options)
    } finally {
      image.dispose()
    }
  }

  // The tall photos were refused before: the face was 27 and 28 px across in the whole picture fitted to 320x247.
  it.each([
    { label: 'obama3.jpg (1434x2333)', file: () => fixture('people/barack_obama/obama3.jpg'), size: '1434x2333' },
    { label: 'biden.jpg (970x2204)', file: () => fixture('people/joe_biden/biden.jpg'), size: '970x2204' },
    { label: 'a 3024x4032 phone photo made from obama.jpg', file: () => generated.phonePortrait, size: '3024x4032' },
  ])('frames $label around its face, which enrollment accepts', async ({ file, size }) => {
    const { photo, stored } = await upload(file())
    expect(photo.framing).toMatch(new RegExp(`^Framed around the face \\(\\d+ px across in the ${size} picture\\)$`))
    await expectFraming(stored, fullFrame)
    const result = await enrollStored(stored)
    expect(result.ok, result.ok ? '' : result.detail).toBe(true)
    if (!result.ok) return
    // About 45% of the frame's height, whatever the picture's size; the descriptor network reads 150x150.
    expect(result.box.height).toBeGreaterThanOrEqual(80)
    expect(result.box.height).toBeLessThanOrEqual(160)
  }, 60_000)

  it('finds the face of a dark picture on a contrast-enhanced copy, and stores that copy, which enrollment reads as it is', async () => {
    const { photo, stored } = await upload(generated.dark)
    const contrastNotes = enrollRetries.filter((retry) => retry.enhance && retry.enhance !== 'upscale').map((retry) => retry.note)
    expect(contrastNotes.some((note) => photo.framing.endsWith(`. ${note}; stored so`)), photo.framing).toBe(true)
    const result = await enrollStored(stored, { ...enrollDefaults, retries: [] })
    expect(result.ok, result.ok ? '' : result.detail).toBe(true)
  }, 60_000)
})

describe('photos: bad requests are refused and store nothing', () => {
  const api = useTestApi(async (dataDir) => {
    await addFixturePhotos(dataDir, 'Ada', [smallPhoto])
    await addFixturePhotos(dataDir, 'Bob', [])
    // What a traversal from DATA_DIR/users/Ada would reach: it must survive.
    await writeFile(path.join(dataDir, 'x.jpg'), 'outside the users folder')
  })

  const good = { file: fixture(smallPhoto) }
  const elevenPhotos = Array.from({ length: maxPhotosPerRequest + 1 }, () => good)

  it.each([
    // Files that are not photos we can read
    { label: 'a text file named .jpg', request: () => multipart([{ file: generated.text }]), status: 415, code: 'not_an_image' },
    { label: 'a truncated JPEG', request: () => multipart([{ file: generated.truncated }]), status: 415, code: 'not_an_image' },
    { label: 'an empty file', request: () => multipart([{ file: generated.empty }]), status: 415, code: 'not_an_image' },
    { label: 'a PDF named .jpg', request: () => multipart([{ file: generated.pdf }]), status: 415, code: 'not_an_image' },
    { label: 'a PNG over 50 megapixels', request: () => multipart([{ file: generated.hugePng }]), status: 413, code: 'image_too_large' },
    { label: 'a file over 10 MB', request: () => multipart([{ file: generated.oversize }]), status: 413, code: 'file_too_large' },
    // Forms of the wrong shape
    { label: 'eleven photos', request: () => multipart(elevenPhotos), status: 413, code: 'too_many_files' },
    { label: 'a photo in the wrong field', request: () => multipart([{ ...good, field: 'photo' }]), status: 400, code: 'unexpected_field' },
    { label: 'a form without files', request: async () => ({ method: 'POST', body: formWithText() }), status: 400, code: 'no_photos' },
    { label: 'an empty form', request: async () => ({ method: 'POST', body: new FormData() }), status: 400, code: 'no_photos' },
    { label: 'a multipart body without a boundary', request: async () => rawMultipart('multipart/form-data', 'hello'), status: 400, code: 'bad_upload' },
    { label: 'a multipart form cut short', request: async () => rawMultipart('multipart/form-data; boundary=XX', cutShortForm), status: 400, code: 'bad_upload' },
    // One bad file refuses the whole request
    { label: 'a good photo and a text file', request: () => multipart([good, { file: generated.text }]), status: 415, code: 'not_an_image' },
    { label: 'two good photos and a truncated JPEG', request: () => multipart([good, good, { file: generated.truncated }]), status: 415, code: 'not_an_image' },
    { label: 'a good photo and a huge PNG', request: () => multipart([good, { file: generated.hugePng }]), status: 413, code: 'image_too_large' },
    { label: 'a good photo and one over 10 MB', request: () => multipart([good, { file: generated.oversize }]), status: 413, code: 'file_too_large' },
    { label: 'a good photo and one in the wrong field', request: () => multipart([good, { ...good, field: 'other' }]), status: 400, code: 'unexpected_field' },
    // Bodies that are neither a form nor a snapshot
    { label: 'a text/plain body', request: async () => ({ method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hello' }), status: 415, code: 'unsupported_content_type' },
    { label: 'no body', request: async () => ({ method: 'POST' }), status: 415, code: 'unsupported_content_type' },
    // Snapshots that are not image data URLs
    { label: 'a GIF data URL', request: async () => snapshot('data:image/gif;base64,R0lGODlhAQABAAAAACw='), status: 400, code: 'invalid_snapshot' },
    { label: 'a plain string', request: async () => snapshot('not a data url'), status: 400, code: 'invalid_snapshot' },
    { label: 'a data URL that is not base64', request: async () => snapshot('data:image/png,hello'), status: 400, code: 'invalid_snapshot' },
    { label: 'a data URL with bad base64', request: async () => snapshot('data:image/png;base64,@@@@'), status: 400, code: 'invalid_snapshot' },
    { label: 'a number as snapshot', request: async () => snapshot(42), status: 400, code: 'invalid_snapshot' },
    { label: 'no snapshot', request: async () => jsonBody('{}'), status: 400, code: 'invalid_snapshot' },
    { label: 'a snapshot with an extra key', request: async () => jsonBody(JSON.stringify({ snapshot: 'data:image/png;base64,AAAA', x: 1 })), status: 400, code: 'invalid_snapshot' },
    { label: 'malformed JSON', request: async () => jsonBody('{"snapshot": '), status: 400, code: 'invalid_json' },
    { label: 'a data URL of text', request: async () => snapshot(`data:image/jpeg;base64,${Buffer.from('hello').toString('base64')}`), status: 415, code: 'not_an_image' },
    { label: 'a snapshot over the size limit', request: async () => snapshot(`data:image/jpeg;base64,${'A'.repeat(maxPhotoBytes * 1.5)}`), status: 413, code: 'file_too_large' },
    { label: 'a snapshot of a 10.09 MiB JPEG', request: async () => snapshot(`data:image/jpeg;base64,${(await readFile(generated.overLimit)).toString('base64')}`), status: 413, code: 'file_too_large' },
    { label: 'a 10.09 MiB JPEG as a file', request: () => multipart([{ file: generated.overLimit }]), status: 413, code: 'file_too_large' },
    // People who cannot receive photos: refused before the body is read
    { label: 'an unknown person', route: '/api/people/Nobody/photos', request: () => multipart([good]), status: 404, code: 'person_not_found' },
    { label: 'an unknown person, with a file over 10 MB', route: '/api/people/Nobody/photos', request: () => multipart([{ file: generated.oversize }]), status: 404, code: 'person_not_found' },
    { label: 'a person named ..%2FAda', route: '/api/people/..%2FAda/photos', request: () => multipart([good]), status: 400, code: 'invalid_name' },
    { label: 'a snapshot for an unknown person', route: '/api/people/Nobody/photos', request: async () => snapshot('data:image/png;base64,AAAA'), status: 404, code: 'person_not_found' },
    // Deletes that name nothing deletable
    { label: 'DELETE ..%2F..%2Fx.jpg', route: '/api/people/Ada/photos/..%2F..%2Fx.jpg', request: async () => ({ method: 'DELETE' }), status: 404, code: 'photo_not_found' },
    { label: 'DELETE a photo that does not exist', route: '/api/people/Ada/photos/nope.jpg', request: async () => ({ method: 'DELETE' }), status: 404, code: 'photo_not_found' },
    { label: "DELETE another person's photo", route: '/api/people/Bob/photos/photo-1.jpg', request: async () => ({ method: 'DELETE' }), status: 404, code: 'photo_not_found' },
    { label: 'DELETE ..%2FAda%2Fphoto-1.jpg', route: '/api/people/Bob/photos/..%2FAda%2Fphoto-1.jpg', request: async () => ({ method: 'DELETE' }), status: 404, code: 'photo_not_found' },
    { label: 'DELETE a photo of an unknown person', route: '/api/people/Nobody/photos/photo-1.jpg', request: async () => ({ method: 'DELETE' }), status: 404, code: 'person_not_found' },
    { label: 'DELETE a photo of ..%2FAda', route: '/api/people/..%2FAda/photos/photo-1.jpg', request: async () => ({ method: 'DELETE' }), status: 400, code: 'invalid_name' },
    // Replacing: one readable photo in the place of one that is there
    { label: 'PUT in the place of a photo that does not exist', route: '/api/people/Ada/photos/nope.jpg', request: () => put([good]), status: 404, code: 'photo_not_found' },
    { label: 'PUT in the place of ..%2F..%2Fx.jpg', route: '/api/people/Ada/photos/..%2F..%2Fx.jpg', request: () => put([good]), status: 404, code: 'photo_not_found' },
    { label: 'PUT two photos in the place of one', route: '/api/people/Ada/photos/photo-1.jpg', request: () => put([good, good]), status: 400, code: 'too_many_files' },
    { label: 'PUT a form without files', route: '/api/people/Ada/photos/photo-1.jpg', request: async () => ({ method: 'PUT', body: formWithText() }), status: 400, code: 'no_photos' },
    { label: 'PUT a text file', route: '/api/people/Ada/photos/photo-1.jpg', request: () => put([{ file: generated.text }]), status: 415, code: 'not_an_image' },
    { label: 'PUT for an unknown person', route: '/api/people/Nobody/photos/photo-1.jpg', request: () => put([good]), status: 404, code: 'person_not_found' },
    // Moving: to someone registered, based on the current model
    { label: 'a move without a body', route: '/api/people/Ada/photos/photo-1.jpg/move', request: async () => ({ method: 'POST' }), status: 400, code: 'invalid_to' },
    { label: 'a move without a generation', route: '/api/people/Ada/photos/photo-1.jpg/move', request: async () => jsonBody(JSON.stringify({ to: 'Bob' })), status: 400, code: 'invalid_generation' },
    { label: 'a move of a stale model', route: '/api/people/Ada/photos/photo-1.jpg/move', request: async () => jsonBody(JSON.stringify({ to: 'Bob', generation: 99 })), status: 409, code: 'stale_model' },
    { label: 'a move to ..%2FBob', route: '/api/people/Ada/photos/photo-1.jpg/move', request: async () => jsonBody(JSON.stringify({ to: '../Bob', generation: 0 })), status: 400, code: 'invalid_name' },
    { label: "a move of another person's photo", route: '/api/people/Bob/photos/photo-1.jpg/move', request: async () => jsonBody(JSON.stringify({ to: 'Ada', generation: 0 })), status: 404, code: 'photo_not_found' },
  ] satisfies BadRequest[])('$label → $status $code', async ({ route = photosOf('Ada'), request, status, code }) => {
    const files = await storedFiles(api.dataDir)

    const res = await fetch(`${api.url}${route}`, await request())

    expect(res.status).toBe(status)
    expect(await res.json()).toEqual({ error: { code, message: expect.stringMatching(/\S/) } })
    expect(await storedFiles(api.dataDir)).toEqual(files)
  })
})


describe('photos: one size limit, whichever way a photo is sent', () => {
  const api = useTestApi(async (dataDir) => {
    await addFixturePhotos(dataDir, 'Ada', [smallPhoto])
  })

  it('refuses a snapshot over the limit with the very answer a file over it gets', async () => {
    const bytes = await readFile(generated.overLimit)
    const asFile = await fetch(`${api.url}${photosOf('Ada')}`, await multipart([{ file: generated.overLimit }]))
    const asSnapshot = await fetch(`${api.url}${photosOf('Ada')}`, snapshot(`data:image/jpeg;base64,${bytes.toString('base64')}`))

    expect([asFile.status, asSnapshot.status]).toEqual([413, 413])
    const body = await asFile.json()
    expect(body).toEqual({ error: { code: 'file_too_large', message: 'A photo can be at most 10 MB' } })
    expect(await asSnapshot.json()).toEqual(body)
  })
})

describe('photos: files are received on disk, not held in memory', () => {
  const api = useTestApi(async (dataDir) => {
    await addFixturePhotos(dataDir, 'Ada', [smallPhoto])
  })
  const uploadsFolder = () => path.join(api.dataDir, '.uploads')
  const bytesIn = async (folder: string) => {
    let total = 0
    for (const name of await readdir(folder)) total += (await stat(path.join(folder, name))).size
    return total
  }

  /**
   * Sends a form's first photo whole and the first half of its second, and then nothing more, as
   * a client on a slow or broken link does. `abort` gives up, closing the connection.
   */
  function unfinishedUpload(url: string, person: string, partBytes: number) {
    const boundary = `----facer${randomBytes(8).toString('hex')}`
    const partHeader = (index: number) =>
      `--${boundary}\r\nContent-Disposition: form-data; name="photos"; filename="${index}.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`
    const { hostname, port } = new URL(url)
    const req = request({
      hostname,
      port,
      method: 'POST',
      path: photosOf(person),
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': 2 * partBytes + 1000 },
    })
    req.on('error', () => {})
    const write = (chunk: Buffer | string) => new Promise<void>((resolve, reject) => req.write(chunk, (err) => (err ? reject(err) : resolve())))
    const sent = (async () => {
      await write(partHeader(1))
      await write(randomBytes(partBytes))
      await write(`\r\n${partHeader(2)}`)
      await write(randomBytes(partBytes / 2))
    })()
    return { sent, fileBytes: partBytes * 1.5, abort: () => req.destroy() }
  }

  it('keeps ten unfinished uploads in temp files as they arrive, removes them when the clients give up, and stores nothing', async () => {
    const before = await snapshotDir(api.dataDir)
    const stored = await storedFiles(api.dataDir)

    const uploads = Array.from({ length: 10 }, () => unfinishedUpload(api.url, 'Ada', 4 * 1024 * 1024))
    await Promise.all(uploads.map((upload) => upload.sent))

    // Every byte sent is in a file (but for the few the form parser keeps to look for the next boundary).
    const sentBytes = uploads.reduce((total, upload) => total + upload.fileBytes, 0)
    await expect.poll(() => bytesIn(uploadsFolder()), { timeout: 20_000 }).toBeGreaterThan(sentBytes - uploads.length * 1024)
    expect((await readdir(uploadsFolder())).length).toBe(2 * uploads.length)

    for (const upload of uploads) upload.abort()
    await expect.poll(() => readdir(uploadsFolder()), { timeout: 20_000 }).toEqual([])
    expect(await snapshotDir(api.dataDir)).toEqual(before)
    expect(await storedFiles(api.dataDir)).toEqual(stored)
  })
})

describe('photos: a stored upload lets go of its temp files', () => {
  const api = useTestApi(async (dataDir) => {
    await addFixturePhotos(dataDir, 'Ada', [smallPhoto])
  })

  it('keeps none of them mapped, which would hold a removed file’s disk space (and keep its disk from going read-only)', async () => {
    const res = await fetch(`${api.url}${photosOf('Ada')}`, await multipart([{ file: fixture(smallPhoto) }, { file: landscapePhoto }]))
    expect(res.status).toBe(201)

    expect(await readdir(path.join(api.dataDir, '.uploads'))).toEqual([])
    const mapped = (await readFile('/proc/self/maps', 'utf8')).split('\n').filter((line) => line.includes(api.dataDir))
    expect(mapped).toEqual([])
  })
})

describe('photos: temp files that interrupted uploads left', () => {
  /** The id of a process that has exited. */
  async function exitedPid(): Promise<number> {
    const child = spawn(process.execPath, ['-e', ''])
    await once(child, 'exit')
    return child.pid!
  }

  it('are removed at start-up: those of a process of this machine that is gone, and old ones; those of running uploads stay', async () => {
    const data = await createTempDataDir()
    try {
      const folder = path.join(data.path, '.uploads')
      await mkdir(folder)
      const thisHost = createHash('sha256').update(os.hostname()).digest('hex').slice(0, 8)
      const files = {
        writerGone: `.upload-${thisHost}-${await exitedPid()}-0123abcd`,
        oldFromElsewhere: '.upload-0badc0de-123-4567abcd',
        running: `.upload-${thisHost}-${process.pid}-89abcdef`,
        recentFromElsewhere: '.upload-0badc0de-123-fedcba98',
        notATempFile: 'notes.txt',
      }
      for (const name of Object.values(files)) await writeFile(path.join(folder, name), 'part of an upload')
      const elevenMinutesAgo = new Date(Date.now() - 11 * 60_000)
      await utimes(path.join(folder, files.oldFromElsewhere), elevenMinutesAgo, elevenMinutesAgo)

      const api = await startApi(data.path)
      try {
        const kept = [files.running, files.recentFromElsewhere, files.notATempFile].sort()
        await expect.poll(async () => (await readdir(folder)).sort(), { timeout: 10_000 }).toEqual(kept)
      } finally {
        await api.close()
      }
    } finally {
      await data.remove()
    }
  })
})
