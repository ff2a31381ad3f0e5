import { describe, expect, it } from 'vitest'
import { encodeDescriptor } from '../../shared/face/descriptor.js'
import { FaceModelSchema } from '../../shared/face/model.js'
import { useTestApi } from '../../tests/support/api.js'
import { addFixturePhotos } from '../../tests/support/data.js'
import { descriptorEntry, faceModelOf, personModel, seededDescriptor } from '../../tests/support/faces.js'
import { sendJson } from '../../tests/support/http.js'
import { storedModelText } from '../../tests/support/stored.js'

const errorBody = (code: string) => ({ error: { code, message: expect.stringMatching(/\S/) } })

const prepare = async (dataDir: string) => {
  for (const name of ['Ada Lovelace', 'Alan Turing']) await addFixturePhotos(dataDir, name, ['people/barack_obama/obama.jpg'])
}

describe('descriptors no face has', () => {
  const api = useTestApi(prepare)
  const send = (method: string, route: string, body?: unknown) => sendJson(api.url, method, route, body)
  const readModelText = () => storedModelText(api.dataDir)

  const good = descriptorEntry('photo-1.jpg', 1)
  const withValue = (value: number, at = 0) => {
    const descriptor = seededDescriptor(2)
    descriptor[at] = value
    return descriptor
  }
  const encodedWith = (value: number, at?: number) => ({ ...good, descriptor: encodeDescriptor(withValue(value, at)) })
  // Plain numbers: a Float32Array would make 1e308 Infinity, and JSON would send that as null.
  const legacyWith = (value: number) => {
    const numbers = Array.from(seededDescriptor(2))
    numbers[0] = value
    return [{ user: 'Ada Lovelace', descriptors: [{ path: 'a.jpg', descriptor: Object.fromEntries(numbers.map((number, index) => [String(index), number])) }] }]
  }
  const ada = (entries: unknown[]) => (generation: number) => faceModelOf([personModel('Ada Lovelace', entries as never[])], generation)
  const as = (body: unknown) => () => body

  it('starts from a saved model', async () => {
    expect((await send('PUT', '/api/faces', faceModelOf([personModel('Ada Lovelace', [good])], 0))).status).toBe(200)
  })

  it.each([
    { label: 'base64 of 128 NaN', method: 'PUT', route: '/api/faces', body: ada([{ ...good, descriptor: encodeDescriptor(new Float32Array(128).fill(Number.NaN)) }]) },
    { label: 'a descriptor holding +Infinity', method: 'PUT', route: '/api/faces', body: ada([good, encodedWith(Infinity, 64)]) },
    { label: 'a descriptor holding 1e30', method: 'PUT', route: '/api/faces', body: ada([encodedWith(1e30, 127)]) },
    { label: 'a reference-app descriptor holding 1e308', method: 'PUT', route: '/api/faces', body: as(legacyWith(1e308)) },
    { label: 'a reference-app descriptor holding -3', method: 'PUT', route: '/api/faces', body: as(legacyWith(-3)) },
    { label: 'a person’s descriptor of NaN', method: 'PUT', route: '/api/faces/people/Ada%20Lovelace', body: as({ descriptors: [encodedWith(Number.NaN)], rejected: [] }) },
    { label: 'a PATCH with -Infinity', method: 'PATCH', route: '/api/faces/people/Ada%20Lovelace', body: as({ descriptors: [encodedWith(-Infinity, 3)] }) },
  ])('refuses $label with 400 invalid_model, leaving the file as it was', async ({ method, route, body }) => {
    const before = await readModelText()
    const res = await send(method, route, body(FaceModelSchema.parse(JSON.parse(before)).generation))
    expect(res.status).toBe(400)
    expect(res.body).toEqual(errorBody('invalid_model'))
    expect(await readModelText()).toBe(before)
  })
})
