import { createServer, type RequestListener, type Server, type ServerOptions, type ServerResponse } from 'node:http'
import { Server as NetServer } from 'node:net'
import { log as logLine } from '../api/logging.js'

/**
 * Slow or idle clients do not hold a connection forever. A whole request, upload included, must
 * arrive within requestTimeout: 10 photos of 10 MB still fit at 1 MB/s. Node looks for requests
 * past these limits only every connectionsCheckingInterval (30 s unless set), so a client that
 * trickles its headers would otherwise keep its connection for up to 50 s rather than 20.
 */
export const httpTimeouts = {
  headersTimeout: 20_000,
  requestTimeout: 150_000,
  keepAliveTimeout: 5_000,
  connectionsCheckingInterval: 1_000,
} satisfies ServerOptions

/** The HTTP server every facer process listens with: `app` behind `timeouts`. */
export function createHttpServer(app: RequestListener, timeouts: typeof httpTimeouts = httpTimeouts): Server {
  return createServer(timeouts, app)
}

export function log(msg: string, fields: Record<string, unknown> = {}): void {
  logLine('info', msg, fields)
}

/** Resolves once the server listens; rejects on a bind error such as EADDRINUSE. */
export function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      const address = server.address()
      resolve(typeof address === 'object' && address ? address.port : port)
    })
  })
}

/** How long a keep-alive connection may stay idle once shutdown begins; see closeGracefully. */
const keepAliveGraceMs = 1_000

/**
 * On SIGINT or SIGTERM: stop accepting connections, let requests in flight finish,
 * then exit; exit anyway after `timeoutMs`.
 *
 * Keep-alive connections are not cut at once, as http's own close() does: a client may be
 * sending its next request on one at that moment, and would get a reset instead of an answer.
 * Every response from now on says `Connection: close`, so busy clients reconnect (under PM2, to
 * another worker); connections found idle after a short grace are closed, and so on each second.
 * Server-sent event streams end at once.
 */
export function closeGracefully(server: Server, timeoutMs: number): void {
  let closing = false
  const inFlight = new Set<ServerResponse>()
  server.prependListener('request', (_req, res: ServerResponse) => {
    if (closing) {
      res.setHeader('Connection', 'close')
      return
    }
    inFlight.add(res)
    res.once('close', () => inFlight.delete(res))
  })

  const shutdown = (signal: NodeJS.Signals) => {
    if (closing) return
    closing = true
    log('shutting down', { signal, requestsInFlight: inFlight.size })
    for (const res of inFlight) {
      if (!res.headersSent) res.setHeader('Connection', 'close')
      // An event stream never finishes by itself: it ends now, and its page connects again (to another worker under PM2).
      else if (String(res.getHeader('Content-Type')).startsWith('text/event-stream')) res.end()
    }
    NetServer.prototype.close.call(server, () => {
      log('stopped')
      process.exit(0)
    })
    setInterval(() => server.closeIdleConnections(), keepAliveGraceMs).unref()
    setTimeout(() => {
      logLine('error', 'forced exit: requests still running', { timeoutMs, requestsInFlight: inFlight.size })
      process.exit(1)
    }, timeoutMs).unref()
  }
  process.on('SIGINT', shutdown)
  process.on('SIGTERM', shutdown)
}
