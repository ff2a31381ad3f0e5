import { describe, expect, it } from 'vitest'
import { modelLimits } from '../../shared/face/model.js'
import { useTestApi } from '../../tests/support/api.js'
import { addFixturePhotos } from '../../tests/support/data.js'
import { descriptorEntry, faceModelOf, personModel } from '../../tests/support/faces.js'
import { sendJson } from '../../tests/support/http.js'
import { storedModelText } from '../../tests/support/stored.js'

const errorBody = (code: string) => ({ error: { code, message: expect.stringMatching(/\S/) } })

/** `count` copies of `item` as a JSON list, written out directly: JSON.stringify of millions of objects is slow. */
const jsonList = (item: string, count: number) => `[${Array(count).fill(item).join(',')}]`

const modelText = (people: string) => `{"version":1,"generation":0,"updatedAt":"2024-01-01T00:00:00.000Z","people":${people}}`

const people = ['Ada Lovelace', 'Alan Turing']
const prepare = async (dataDir: string) => {
  for (const name of people) await addFixturePhotos(dataDir, name, ['people/barack_obama/obama.jpg'])
}

describe('bodies under the size limit with more entries than a model holds', () => {
  const api = useTestApi(prepare)
  const send = (method: string, route: string, body?: unknown) => sendJson(api.url, method, route, body)
  const readModelText = () => storedModelText(api.dataDir)

  it('starts from a saved model', async () => {
    const start = faceModelOf([personModel('Ada Lovelace', [descriptorEntry('photo-1.jpg', 1)])], 0)
    expect((await send('PUT', '/api/faces', start)).status).toBe(200)
  })

  const perPerson = modelLimits.entriesPerPerson
  const emptyPeople = (count: number, list: 'descriptors' | 'rejected') =>
    jsonList(`{"name":"P","${list === 'descriptors' ? 'descriptors":[' : 'descriptors":[],"rejected":['}${Array(perPerson).fill('{}').join(',')}]${list === 'descriptors' ? ',"rejected":[]' : ''}}`, count)
  const morePeopleThanTotal = modelLimits.entries / perPerson + 1

  // The reported case: 8 million {} (24 MB) took 4.8 GB and killed the process.
  it.each([
    { label: 'a model of 8,000,000 {} people (24 MB)', route: '/api/faces', method: 'PUT', body: () => modelText(jsonList('{}', 8_000_000)), status: 413, code: 'model_too_large' },
    { label: 'a reference-app model of 8,000,000 {}', route: '/api/faces', method: 'PUT', body: () => jsonList('{}', 8_000_000), status: 413, code: 'model_too_large' },
    { label: 'a model of 8,000,000 [] people', route: '/api/faces', method: 'PUT', body: () => modelText(jsonList('[]', 8_000_000)), status: 413, code: 'model_too_large' },
    { label: 'a model of 8,000,000 people that are numbers', route: '/api/faces', method: 'PUT', body: () => modelText(jsonList('0', 8_000_000)), status: 413, code: 'model_too_large' },
    { label: 'a model of 10,001 people', route: '/api/faces', method: 'PUT', body: () => modelText(jsonList('{"name":"P","descriptors":[]}', 10_001)), status: 413, code: 'model_too_large' },
    { label: 'a model with more descriptors in all than a model holds', route: '/api/faces', method: 'PUT', body: () => modelText(emptyPeople(morePeopleThanTotal, 'descriptors')), status: 413, code: 'model_too_large' },
    { label: 'a model with more rejections in all than a model holds', route: '/api/faces', method: 'PUT', body: () => modelText(emptyPeople(morePeopleThanTotal, 'rejected')), status: 413, code: 'model_too_large' },
    { label: 'a person of 8,000,000 {} descriptors', route: '/api/faces/people/Ada%20Lovelace', method: 'PUT', body: () => `{"descriptors":${jsonList('{}', 8_000_000)},"rejected":[]}`, status: 413, code: 'model_too_large' },
    { label: 'a person of 10,001 descriptors', route: '/api/faces/people/Ada%20Lovelace', method: 'PUT', body: () => `{"descriptors":${jsonList('{}', 10_001)},"rejected":[]}`, status: 413, code: 'model_too_large' },
    { label: 'a PATCH of 8,000,000 {} rejections', route: '/api/faces/people/Ada%20Lovelace', method: 'PATCH', body: () => `{"rejected":${jsonList('{}', 8_000_000)}}`, status: 413, code: 'model_too_large' },
    { label: 'a PATCH removing 4,000,000 names', route: '/api/faces/people/Ada%20Lovelace', method: 'PATCH', body: () => `{"remove":${jsonList('"x"', 4_000_000)}}`, status: 413, code: 'model_too_large' },
    { label: 'a PATCH removing 10,001 names', route: '/api/faces/people/Ada%20Lovelace', method: 'PATCH', body: () => `{"remove":${jsonList('"x.jpg"', 10_001)}}`, status: 413, code: 'model_too_large' },
    { label: 'a model of 10 people of 10,000 {} descriptors', route: '/api/faces', method: 'PUT', body: () => modelText(emptyPeople(10, 'descriptors')), status: 400, code: 'invalid_model' },
    {
      label: 'a reference-app descriptor of 2,000,000 keys',
      route: '/api/faces',
      method: 'PUT',
      body: () => `[{"user":"Ada","descriptors":[{"path":"a.jpg","descriptor":{${Array.from({ length: 2_000_000 }, (_, index) => `"${index}":"x"`).join(',')}}}]}]`,
      status: 400,
      code: 'invalid_model',
    },
  ])('refuses $label with $status $code, changes nothing and keeps answering', async ({ route, method, body, status, code }) => {
    const before = await readModelText()
    const res = await send(method, route, body())
    expect(res.status).toBe(status)
    expect(res.body).toEqual(errorBody(code))
    expect(await readModelText()).toBe(before)
    expect((await send('GET', '/api/health')).status).toBe(200)
  })

  it('refuses the PATCH that would give a person more descriptors than one may have, writing nothing', async () => {
    const entry = descriptorEntry('photo-1.jpg', 2)
    const full = { descriptors: Array.from({ length: perPerson }, (_, index) => ({ ...entry, photo: `shot-${index}.jpg` })), rejected: [] }
    expect((await send('PUT', '/api/faces/people/Alan%20Turing', full)).status).toBe(200)
    const before = await readModelText()

    const res = await send('PATCH', '/api/faces/people/Alan%20Turing', { descriptors: [{ ...entry, photo: 'one-more.jpg' }] })

    expect(res.status).toBe(413)
    expect(res.body).toEqual(errorBody('model_too_large'))
    expect(await readModelText()).toBe(before)
    // A PATCH that replaces one of the photos keeps the count, and is saved.
    const replaced = await send('PATCH', '/api/faces/people/Alan%20Turing', { descriptors: [{ ...entry, photo: 'shot-0.jpg', hash: 'b'.repeat(64) }] })
    expect(replaced.status).toBe(200)
  })
})
