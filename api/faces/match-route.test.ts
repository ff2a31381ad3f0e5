import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { assignFaces } from '../../shared/face/assign.js'
import { createGallery, defaultDecisionRule, matchDescriptor } from '../../shared/face/match.js'
import type { FaceModel } from '../../shared/face/model.js'
import { startApi, useTestApi } from '../../tests/support/api.js'
import { openModelEvents } from '../../tests/support/events.js'
import { descriptorEntry, faceModelOf, personModel, seededDescriptor } from '../../tests/support/faces.js'
import { sendJson } from '../../tests/support/http.js'
import { seededRandom } from '../../tests/support/random.js'
import type { MatchResponse } from './schema.js'

const errorBody = (code: string) => ({ error: { code, message: expect.stringMatching(/\S/) } })

/** People of 3 photos each, the photos of one person near each other. */
function modelOf(people: number, seed: number, generation: number): FaceModel {
  return faceModelOf(
    Array.from({ length: people }, (_, person) =>
      personModel(
        `person-${person}`,
        [0, 1, 2].map((photo) => descriptorEntry(`${photo}.jpg`, seed + person * 3 + photo)),
      ),
    ),
    generation,
  )
}

/** The faces of a picture: a known face (near a stored one) and a stranger. */
function pictureOf(seed: number): number[][] {
  const random = seededRandom(seed)
  return [Array.from(seededDescriptor(1000 + 4).map((value) => value + (random() - 0.5) / 50)), Array.from(seededDescriptor(seed))]
}

const browserDecisions = (model: FaceModel, faces: number[][], rule = defaultDecisionRule) => {
  const gallery = createGallery(model)
  return assignFaces(
    faces.map((face) => matchDescriptor(gallery, face)),
    rule,
  )
}

describe('POST /api/faces/match', () => {
  const api = useTestApi()
  const match = (body: unknown, url = api.url) => sendJson(url, 'POST', '/api/faces/match', body)

  it('decides the faces of a picture as the browser does on the same model, and says which generation', async () => {
    const model = modelOf(40, 1000, 0)
    expect((await sendJson(api.url, 'PUT', '/api/faces', model)).status).toBe(200)
    const faces = pictureOf(1)
    const res = await match({ descriptors: faces })
    expect(res.status).toBe(200)
    expect(res.headers['cache-control']).toBe('no-store')
    const body = res.body as MatchResponse
    expect(body.generation).toBe(1)
    expect(body.decisions).toEqual(browserDecisions(model, faces))
    expect(body.decisions[0]!.name).toBe('person-1')
    expect(body.decisions[1]!.name).toBeNull()

    const strict = { ...defaultDecisionRule, threshold: 0.05 }
    expect((await match({ descriptors: faces, threshold: 0.05 })).body).toEqual({ generation: 1, decisions: browserDecisions(model, faces, strict) })
  })

  it('matches against the new model once another process on the same data folder changed it', async () => {
    const other = await startApi(api.dataDir)
    try {
      const next = modelOf(5, 5000, 1)
      expect((await sendJson(other.url, 'PUT', '/api/faces', next)).status).toBe(200)
      const faces = pictureOf(2)
      await expect.poll(async () => (await match({ descriptors: faces })).body).toEqual({ generation: 2, decisions: browserDecisions(next, faces) })
    } finally {
      await other.close()
    }
  })

  const descriptor = Array.from(seededDescriptor(9))
  it.each([
    { label: 'no body', body: undefined, status: 400, code: 'invalid_descriptors' },
    { label: 'no descriptors', body: { descriptors: [] }, status: 400, code: 'invalid_descriptors' },
    { label: 'a descriptor of 127 numbers', body: { descriptors: [descriptor.slice(1)] }, status: 400, code: 'invalid_descriptors' },
    { label: 'a descriptor of 129 numbers', body: { descriptors: [[...descriptor, 0]] }, status: 400, code: 'invalid_descriptors' },
    { label: 'a number no face has', body: { descriptors: [[1e9, ...descriptor.slice(1)]] }, status: 400, code: 'invalid_descriptors' },
    { label: 'a string for a number', body: { descriptors: [['0.1', ...descriptor.slice(1)]] }, status: 400, code: 'invalid_descriptors' },
    { label: 'a null for a number', body: { descriptors: [[null, ...descriptor.slice(1)]] }, status: 400, code: 'invalid_descriptors' },
    { label: 'base64 instead of numbers', body: { descriptors: ['AAAA'] }, status: 400, code: 'invalid_descriptors' },
    { label: '33 faces', body: { descriptors: Array.from({ length: 33 }, () => descriptor) }, status: 400, code: 'invalid_descriptors' },
    { label: 'a threshold past 2', body: { descriptors: [descriptor], threshold: 5 }, status: 400, code: 'invalid_threshold' },
    { label: 'an unknown field', body: { descriptors: [descriptor], rule: 'mine' }, status: 400, code: 'invalid_body' },
    { label: 'not JSON', body: '{"descriptors": [', status: 400, code: 'invalid_json' },
    { label: 'a body over 200 kB', body: { descriptors: [descriptor], padding: 'x'.repeat(210_000) }, status: 413, code: 'payload_too_large' },
  ])('refuses $label with $status $code', async ({ body, status, code }) => {
    const res = await match(body)
    expect(res.status).toBe(status)
    expect(res.body).toEqual(errorBody(code))
  })
})

describe('with MATCH_ON_SERVER=1', () => {
  const env = { ADMIN_PASSWORD: 'admin password for matching', VIEWER_PASSWORD: 'viewer password for matching', MATCH_ON_SERVER: '1' }
  const model = modelOf(10, 1000, 0)
  const api = useTestApi(async (dataDir) => {
    await writeFile(path.join(dataDir, 'faces.json'), JSON.stringify(model))
  }, env)
  const signIn = async (password: string) => {
    const res = await sendJson(api.url, 'POST', '/api/auth/login', { password })
    expect(res.status).toBe(200)
    return { cookie: String(res.headers['set-cookie']).split(';')[0]! }
  }

  it('keeps the model from viewers, who match on the server; the admin still reads it; health says which', async () => {
    const viewer = await signIn(env.VIEWER_PASSWORD)
    const admin = await signIn(env.ADMIN_PASSWORD)
    const asViewer = await sendJson(api.url, 'GET', '/api/faces', undefined, undefined, viewer)
    expect(asViewer.status).toBe(403)
    expect(asViewer.body).toEqual(errorBody('forbidden'))
    expect((await sendJson(api.url, 'GET', '/api/faces', undefined, undefined, admin)).status).toBe(200)

    const faces = pictureOf(3)
    const matched = await sendJson(api.url, 'POST', '/api/faces/match', { descriptors: faces }, undefined, viewer)
    expect(matched.status).toBe(200)
    expect(matched.body).toEqual({ generation: 0, decisions: browserDecisions(model, faces) })

    const stream = await openModelEvents(api.url, viewer)
    try {
      expect(stream.status).toBe(200)
      await expect.poll(() => stream.events).toEqual([{ generation: 0 }])
    } finally {
      stream.close()
    }
    expect((await sendJson(api.url, 'GET', '/api/health')).body).toMatchObject({ matchOnServer: true })
  })
})
