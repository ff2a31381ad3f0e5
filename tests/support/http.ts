import { request, type Agent, type IncomingHttpHeaders } from 'node:http'

export interface JsonReply {
  status: number
  headers: IncomingHttpHeaders
  body: unknown
}

/**
 * One request over plain HTTP with a JSON body (a string is sent as it is). Not fetch: the route
 * is sent exactly as written, and each client can have its own connection pool (`agent`).
 */
export function sendJson(baseUrl: string, method: string, route: string, body?: unknown, agent?: Agent, extraHeaders: Record<string, string> = {}): Promise<JsonReply> {
  const { hostname, port } = new URL(baseUrl)
  const text = body === undefined || typeof body === 'string' ? body : JSON.stringify(body)
  const headers = { ...extraHeaders, ...(text === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }) }
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port, method, path: route, headers, agent }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('error', reject)
      res.on('end', () => {
        const received = Buffer.concat(chunks).toString('utf8')
        try {
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: received ? JSON.parse(received) : undefined })
        } catch (err) {
          reject(err)
        }
      })
    })
    req.on('error', reject)
    req.end(text)
  })
}
