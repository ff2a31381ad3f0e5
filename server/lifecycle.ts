import type { Server } from 'node:http'

export function log(msg: string, fields: Record<string, unknown> = {}): void {
  console.log(JSON.stringify({ time: new Date().toISOString(), level: 'info', msg, ...fields }))
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

/**
 * On SIGINT or SIGTERM: stop accepting connections, let requests in flight finish,
 * then exit; exit anyway after `timeoutMs`.
 */
export function closeGracefully(server: Server, timeoutMs: number): void {
  let closing = false
  const shutdown = (signal: NodeJS.Signals) => {
    if (closing) return
    closing = true
    log('shutting down', { signal })
    server.close(() => {
      log('stopped')
      process.exit(0)
    })
    server.closeIdleConnections()
    setTimeout(() => {
      log('forced exit: requests still running', { timeoutMs })
      process.exit(1)
    }, timeoutMs).unref()
  }
  process.on('SIGINT', shutdown)
  process.on('SIGTERM', shutdown)
}
