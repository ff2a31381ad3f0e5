import type { RequestHandler } from 'express'
import { HttpError } from '../errors.js'

const safeMethods = new Set(['GET', 'HEAD', 'OPTIONS'])

function sameHost(origin: string, host: string): boolean {
  try {
    return new URL(origin).host === host
  } catch {
    return false
  }
}

/**
 * Refuses a request that would change something when a browser says it comes from another site
 * (cross-site request forgery), with or without a session. Browsers send Origin with every such
 * request; clients without one (curl, scripts) have no other site's cookies to abuse.
 */
export function sameOriginWrites(): RequestHandler {
  return (req, _res, next) => {
    if (safeMethods.has(req.method)) return next()
    const site = req.get('sec-fetch-site')
    const origin = req.get('origin')
    const crossSite = site === 'cross-site' || site === 'same-site'
    if (crossSite || (origin !== undefined && !sameHost(origin, req.host))) {
      throw new HttpError(403, 'cross_origin', 'Requests that change data must come from facer’s own pages')
    }
    next()
  }
}
