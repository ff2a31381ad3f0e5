import { once } from 'node:events'
import type { Server } from 'node:http'
import { connect, type AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { createHttpServer, httpTimeouts } from './lifecycle.js'

describe('the HTTP server', () => {
  let server: Server | undefined
  afterEach(async () => {
    server?.closeAllConnections()
    await new Promise((resolve) => server?.close(resolve))
  })

  // Node's own check runs every 30 s unless told otherwise: a close within this test's 15 s comes from facer's interval.
  it('closes a connection whose headers trickle in for longer than headersTimeout, with 408', { timeout: 15_000 }, async () => {
    server = createHttpServer((_req, res) => res.end('answered'), { ...httpTimeouts, headersTimeout: 1_000 })
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    const socket = connect((server.address() as AddressInfo).port, '127.0.0.1')
    await once(socket, 'connect')
    const received: Buffer[] = []
    socket.on('data', (chunk: Buffer) => received.push(chunk))
    socket.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ')
    // A byte at a time, as Slowloris sends: no idle timeout would ever fire.
    const trickle = setInterval(() => socket.writable && socket.write('a'), 100)
    try {
      await once(socket, 'close')
    } finally {
      clearInterval(trickle)
    }
    expect(Buffer.concat(received).toString('latin1')).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/)
  })
})
