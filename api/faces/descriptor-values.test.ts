import { readFile, writeFile } from 'node:fs/promises'
import { describe, expect, it, vi } from 'vitest'
import { encodeDescriptor } from '../../shared/face/descriptor.js'
import { FaceModelSchema } from '../../shared/face/model.js'
import { useTestApi } from '../../tests/support/api.js'
import { addFixturePhotos } from '../../tests/support/data.js'
import { descriptorEntry, faceModelOf, modelFileOf, personModel, readModelFile, seededDescriptor } from '../../tests/support/faces.js'
import { sendJson } from '../../tests/support/http.js'

const errorBody = (code: string) => ({ error: { code, message: expect.stringMatching(/\S/) } })

const prepare = async (dataDir: string) => {
  for (const name of ['Ada Lovelace', 'Alan Turing']) await addFixturePhotos(dataDir, name, ['people/barack_obama/obama.jpg'])
}

describe('descriptors no face has', () => {
  const api = useTestApi(prepare)
  const send = (method: string, route: string, body?: unknown) => sendJson(api.url, method, route, body)
  const readModelText = () => readFile(modelFileOf(api.dataDir), 'utf8')

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

  it('serves an older faces.json without its descriptors of NaN, with a warning, and the next write leaves them out', async () => {
    const current = await readModelFile(api.dataDir)
    const alan = personModel('Alan Turing', [encodedWith(Number.NaN), descriptorEntry('photo-2.jpg', 3)])
    const older = { ...current, people: [...current.people, alan, personModel('Grace Hopper', [encodedWith(Infinity)])] }
    await writeFile(modelFileOf(api.dataDir), JSON.stringify(older))
    const logged = vi.spyOn(process.stdout, 'write')

    const served = await send('GET', '/api/faces')

    const warnings = logged.mock.calls.map(([line]) => String(line)).filter((line) => line.includes('"level":"warn"'))
    logged.mockRestore()
    const expected = { ...current, people: [...current.people, { ...alan, descriptors: [descriptorEntry('photo-2.jpg', 3)] }, personModel('Grace Hopper', [])] }
    expect(served.status).toBe(200)
    expect(served.body).toEqual(expected)
    expect(warnings).toHaveLength(1)
    expect(JSON.parse(warnings[0]!)).toMatchObject({ dropped: ['Alan Turing/photo-1.jpg', 'Grace Hopper/photo-1.jpg'] })

    const written = await send('PATCH', '/api/faces/people/Ada%20Lovelace', { descriptors: [descriptorEntry('photo-3.jpg', 4)] })
    expect(written.status).toBe(200)
    const saved = FaceModelSchema.parse(JSON.parse(await readModelText()))
    expect(saved.people.slice(1)).toEqual(expected.people.slice(1))
  })
})
