import { isIP } from 'node:net'
import type { RequestHandler } from 'express'
import type { AppConfig } from '../config.js'
import { HttpError } from '../errors.js'

// A name or an IPv4 address, or an IPv6 address in brackets, then an optional port.
const hostHeader = /^(?:\[([0-9a-f:.]+)\]|([a-z0-9_.-]+))(?::\d{1,5})?$/i

/** The host name or address a Host header names, lower case, IPv6 without brackets; undefined when it is not one. */
function hostNameOf(host: string | undefined): string | undefined {
  const match = hostHeader.exec(host ?? '')
  return match ? (match[1] ?? match[2])?.toLowerCase() : undefined
}

/**
 * Refuses every request whose Host names a server other than this one, before anything else runs:
 * with DNS rebinding, another site's page reaches facer under that site's own name, and to the
 * browser it is then same-origin. An IP address needs no DNS, so it cannot be rebound; names other
 * than localhost, and HOST when it is a name, must be listed in ALLOWED_HOSTS.
 */
export function knownHostsOnly(config: Pick<AppConfig, 'host' | 'allowedHosts'>): RequestHandler {
  const names = new Set(['localhost', ...config.allowedHosts])
  if (!isIP(config.host)) names.add(config.host.toLowerCase())
  return (req, _res, next) => {
    const name = hostNameOf(req.host)
    if (name !== undefined && (isIP(name) || names.has(name))) return next()
    const shown = name === undefined ? 'no valid host name' : `the host name “${name}”`
    throw new HttpError(421, 'unknown_host', `This request names ${shown}, which this facer server does not answer to: add it to ALLOWED_HOSTS`)
  }
}
