import { performance } from 'node:perf_hooks'
import type { RequestHandler } from 'express'

export type LogLevel = 'info' | 'warn' | 'error'

/** One JSON line on stdout per event, the format every log line of the server uses. */
export function log(level: LogLevel, msg: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields })}\n`)
}

// Health probes arrive every few seconds from Docker, PM2 or a load balancer: only their failures are news.
const probePaths = new Set(['/api/health', '/api/health/ready'])

/**
 * Logs each request once its response is finished or abandoned: method, path without the
 * query string, status and duration. Never headers or bodies: those carry photos and names.
 * The servers mount it in front of everything they serve (server/index.ts, server/dev.ts);
 * the API app itself stays quiet, so its tests print only what they are about.
 */
export function requestLogger(): RequestHandler {
  return (req, res, next) => {
    const started = performance.now()
    const [path = ''] = req.originalUrl.split('?')
    res.once('close', () => {
      const status = res.statusCode
      if (probePaths.has(path) && status < 400) return
      const fields: Record<string, unknown> = {
        method: req.method,
        path,
        status,
        durationMs: Math.round((performance.now() - started) * 10) / 10,
      }
      // The client went away before the response was complete (a canceled upload, a closed tab).
      if (!res.writableFinished) fields.aborted = true
      log(status >= 500 ? 'error' : 'info', 'request', fields)
    })
    next()
  }
}
