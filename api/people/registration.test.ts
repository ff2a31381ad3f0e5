import { describe, expect, it } from 'vitest'
import { useTestApi } from '../../tests/support/api.js'

describe('GET /api/people', () => {
  const api = useTestApi()

  it('is an empty list when nobody is registered and the folder does not exist yet', async () => {
    const res = await fetch(`${api.url}/api/people`)
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ people: [] })
  })
})
