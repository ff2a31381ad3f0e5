import { describe, expect, it } from 'vitest'
import { startApi, useTestApi } from '../../tests/support/api.js'
import { openModelEvents, type EventStream } from '../../tests/support/events.js'
import { descriptorEntry, faceModelOf, personModel } from '../../tests/support/faces.js'
import { sendJson } from '../../tests/support/http.js'

const modelAt = (generation: number, seed: number) => faceModelOf([personModel('Ada', [descriptorEntry('a1.jpg', seed)])], generation)

/** Opens streams for one test and closes them after it, whatever it did: the API closes only once none is open. */
async function withStreams(run: (open: (url: string) => Promise<EventStream>) => Promise<void>): Promise<void> {
  const streams: EventStream[] = []
  try {
    await run(async (url) => {
      const stream = await openModelEvents(url)
      streams.push(stream)
      return stream
    })
  } finally {
    for (const stream of streams) stream.close()
  }
}

describe('GET /api/faces/events', () => {
  const api = useTestApi(undefined, { EVENT_STREAMS_MAX: '2' })

  it('sends the current generation at once, then one event per change made through the API', () =>
    withStreams(async (open) => {
      const stream = await open(api.url)
      expect(stream.status).toBe(200)
      expect(stream.headers['content-type']).toBe('text/event-stream; charset=utf-8')
      expect(stream.headers['cache-control']).toBe('no-store')
      await expect.poll(() => stream.events).toEqual([{ generation: 0 }])

      expect((await sendJson(api.url, 'PUT', '/api/faces', modelAt(0, 1))).status).toBe(200)
      await expect.poll(() => stream.events).toEqual([{ generation: 0 }, { generation: 1 }])
      expect((await sendJson(api.url, 'PUT', '/api/faces', modelAt(1, 2))).status).toBe(200)
      await expect.poll(() => stream.events.at(-1)).toEqual({ generation: 2 })
      expect(stream.events).toEqual([{ generation: 0 }, { generation: 1 }, { generation: 2 }])
    }))

  it('sends a change that another process on the same data folder made (another PM2 worker)', async () => {
    const other = await startApi(api.dataDir)
    try {
      await withStreams(async (open) => {
        const stream = await open(api.url)
        await expect.poll(() => stream.events).toEqual([{ generation: 2 }])
        expect((await sendJson(other.url, 'PUT', '/api/faces', modelAt(2, 3))).status).toBe(200)
        await expect.poll(() => stream.events).toEqual([{ generation: 2 }, { generation: 3 }])
      })
    } finally {
      await other.close()
    }
  })

  it('keeps at most EVENT_STREAMS_MAX streams open, answering 503 past it, and a closed stream frees its place', () =>
    withStreams(async (open) => {
      const first = await open(api.url)
      await open(api.url)
      const refused = await open(api.url)
      await expect.poll(() => refused.ended).toBe(true)
      expect(refused.status).toBe(503)
      expect(refused.body).toEqual({ error: { code: 'too_many_streams', message: expect.stringMatching(/\S/) } })

      first.close()
      await expect
        .poll(async () => {
          const again = await open(api.url)
          return again.status
        })
        .toBe(200)
    }))
})
