// The security headers and the Content Security Policy, shared by the API (every response), nuxt.config
// (`nuxt dev`) and the Nitro plugin that lists each page's inline scripts. Node only: it hashes with node:crypto.
import { createHash } from 'node:crypto'

/** Sent with every response, API and pages alike (nuxt.config sets them for `nuxt dev` too). */
export const securityHeaders: Readonly<Record<string, string>> = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  // For browsers that predate CSP's frame-ancestors.
  'X-Frame-Options': 'DENY',
  // Photos and the model are for this origin's pages only, never embedded elsewhere.
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Permissions-Policy': 'camera=(self), microphone=(), geolocation=()',
}

/**
 * Everything comes from this origin. TensorFlow.js compiles its WASM backend ('wasm-unsafe-eval')
 * and runs its threads in workers made from blobs, which load their code from blobs too (blob: in
 * script-src: only this origin's scripts can make one); the Recognize page shows dropped photos
 * from blob URLs. Inline scripts run only when their hash is listed (Nuxt's config script); Vue's
 * style bindings need inline styles.
 */
export function contentSecurityPolicy(scriptHashes: readonly string[] = []): string {
  const directives: Record<string, string[]> = {
    'default-src': ["'self'"],
    'script-src': ["'self'", "'wasm-unsafe-eval'", 'blob:', ...scriptHashes],
    'style-src': ["'self'", "'unsafe-inline'"],
    'img-src': ["'self'", 'data:', 'blob:'],
    'media-src': ["'self'", 'blob:'],
    'connect-src': ["'self'"],
    'worker-src': ["'self'", 'blob:'],
    'object-src': ["'none'"],
    'base-uri': ["'self'"],
    'form-action': ["'self'"],
    'frame-ancestors': ["'none'"],
  }
  return Object.entries(directives)
    .map(([name, sources]) => `${name} ${sources.join(' ')}`)
    .join('; ')
}

// A script element with content and no src. Data blocks (JSON) are not run, so CSP leaves them alone.
const inlineScript = /<script\b(?![^>]*\bsrc\s*=)([^>]*)>([\s\S]*?)<\/script>/gi
const dataBlock = /\btype\s*=\s*["']?application\/(ld\+)?json/i

/** The CSP source of every inline script in a page: `'sha256-…'`. */
export function inlineScriptHashes(html: string): string[] {
  const hashes = new Set<string>()
  for (const [, attributes = '', content = ''] of html.matchAll(inlineScript)) {
    if (dataBlock.test(attributes) || content === '') continue
    hashes.add(`'sha256-${createHash('sha256').update(content, 'utf8').digest('base64')}'`)
  }
  return [...hashes]
}
