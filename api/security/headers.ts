import type { RequestHandler } from 'express'
import { contentSecurityPolicy, securityHeaders } from '../../shared/http/headers.js'

/** The security headers and a CSP with no inline script; pages replace the CSP with one listing theirs. */
export function sendSecurityHeaders(): RequestHandler {
  const policy = contentSecurityPolicy()
  return (_req, res, next) => {
    res.set(securityHeaders)
    res.set('Content-Security-Policy', policy)
    next()
  }
}
