import { describe, expect, it } from 'vitest'
import { useTestApi } from '../tests/support/api.js'

describe('the error envelope', () => {
  const api = useTestApi()

  async function request(path: string, init?: RequestInit) {
    const res = await fetch(`${api.url}${path}`, init)
    return { status: res.status, type: res.headers.get('content-type'), body: await res.json() }
  }

  it.each([
    ['GET', '/api/nope', 'Nothing at GET /api/nope'],
    ['DELETE', '/api/health', 'Nothing at DELETE /api/health'],
    ['GET', '/api', 'Nothing at GET /api'],
    ['GET', '/api/people/../health/x', 'Nothing at GET /api/health/x'],
  ])('answers %s %s with a JSON 404, not HTML', async (method, path, message) => {
    const res = await request(path, { method })
    expect(res.status).toBe(404)
    expect(res.type).toMatch(/^application\/json/)
    expect(res.body).toEqual({ error: { code: 'not_found', message } })
  })

  it('answers malformed JSON with 400 invalid_json', async () => {
    const res = await request('/api/people', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"name": ',
    })
    expect(res.status).toBe(400)
    expect(res.body.error.code).toBe('invalid_json')
  })

  it('answers an oversized JSON body with 413 payload_too_large', async () => {
    const res = await request('/api/people', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'x'.repeat(200_000) }),
    })
    expect(res.status).toBe(413)
    expect(res.body.error.code).toBe('payload_too_large')
  })

  it('keeps /data to photos: other paths are a JSON 404', async () => {
    for (const path of ['/data/faces.json', '/data/users/nobody/photo.jpg', '/data/users/..%2f..%2fpackage.json']) {
      const res = await request(path)
      expect(res.status, path).toBe(404)
      expect(res.body.error.code, path).toBe('not_found')
    }
  })
})
