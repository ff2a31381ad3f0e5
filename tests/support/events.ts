import { request, type IncomingHttpHeaders } from 'node:http'

export interface EventStream {
  status: number
  headers: IncomingHttpHeaders
  /** Every `model` event's data so far, parsed, in order. */
  readonly events: { generation: number }[]
  /** Comment lines so far (the keep-alives). */
  readonly comments: string[]
  /** Whether the server ended the stream. */
  readonly ended: boolean
  /** The body of an answer that is not a stream (an error), parsed. */
  body?: unknown
  close(): void
}

/** Opens `GET /api/faces/events` over plain HTTP and collects its events as they come. */
export function openModelEvents(baseUrl: string, headers: Record<string, string> = {}): Promise<EventStream> {
  const { hostname, port } = new URL(baseUrl)
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port, path: '/api/faces/events', headers: { accept: 'text/event-stream', ...headers } }, (res) => {
      const events: { generation: number }[] = []
      const comments: string[] = []
      let text = ''
      let ended = false
      const stream: EventStream = {
        status: res.statusCode ?? 0,
        headers: res.headers,
        events,
        comments,
        get ended() {
          return ended
        },
        close: () => req.destroy(),
      }
      res.setEncoding('utf8')
      res.on('end', () => {
        ended = true
        if (!String(res.headers['content-type']).startsWith('text/event-stream')) stream.body = JSON.parse(text)
      })
      res.on('error', () => {})
      res.on('data', (chunk: string) => {
        text += chunk
        if (!String(res.headers['content-type']).startsWith('text/event-stream')) return
        // Events are separated by a blank line; the last piece may still be coming.
        const pieces = text.split('\n\n')
        text = pieces.pop()!
        for (const piece of pieces) {
          const lines = piece.split('\n')
          for (const line of lines) if (line.startsWith(':')) comments.push(line.slice(1).trim())
          const data = lines.find((line) => line.startsWith('data: '))
          if (lines.includes('event: model') && data) events.push(JSON.parse(data.slice('data: '.length)) as { generation: number })
        }
      })
      resolve(stream)
    })
    req.on('error', reject)
    req.end()
  })
}
