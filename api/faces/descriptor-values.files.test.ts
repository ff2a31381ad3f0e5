// A faces.json written before descriptors were checked, put in place behind the API's back: about
// the files backend, whose model file may be that old. The rest is in descriptor-values.test.ts.
import { readFile, writeFile } from 'node:fs/promises'
import { describe, expect, it, vi } from 'vitest'
import { encodeDescriptor } from '../../shared/face/descriptor.js'
import { FaceModelSchema } from '../../shared/face/model.js'
import { useTestApi } from '../../tests/support/api.js'
import { addFixturePhotos } from '../../tests/support/data.js'
import { descriptorEntry, faceModelOf, modelFileOf, personModel, readModelFile, seededDescriptor } from '../../tests/support/faces.js'
import { sendJson } from '../../tests/support/http.js'

describe('an older faces.json holding descriptors no face has', () => {
  const api = useTestApi(async (dataDir) => {
    for (const name of ['Ada Lovelace', 'Alan Turing']) await addFixturePhotos(dataDir, name, ['people/barack_obama/obama.jpg'])
  })
  const send = (method: string, route: string, body?: unknown) => sendJson(api.url, method, route, body)
  const readModelText = () => readFile(modelFileOf(api.dataDir), 'utf8')
  const encodedWith = (value: number) => {
    const descriptor = seededDescriptor(2)
    descriptor[0] = value
    return { ...descriptorEntry('photo-1.jpg', 1), descriptor: encodeDescriptor(descriptor) }
  }

  it('serves an older faces.json without its descriptors of NaN, with a warning, and the next write leaves them out', async () => {
    expect((await send('PUT', '/api/faces', faceModelOf([personModel('Ada Lovelace', [descriptorEntry('photo-1.jpg', 1)])], 0))).status).toBe(200)
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
