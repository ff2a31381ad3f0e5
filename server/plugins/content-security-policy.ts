// A Nitro plugin (Nuxt loads server/plugins/ into its server bundle): each page's CSP lists the
// hashes of the inline scripts Nuxt wrote into it, so they run and no other inline script does.
import { contentSecurityPolicy, inlineScriptHashes } from '../../shared/http/headers'

interface RenderedPage {
  body?: unknown
  headers?: Record<string, string>
}

interface NitroApp {
  hooks: { hook(name: 'render:response', handler: (page: RenderedPage) => void): void }
}

export default function pageSecurityPolicy(nitroApp: NitroApp): void {
  // `nuxt dev` injects scripts for hot reloading: it runs without a CSP.
  if ((import.meta as { dev?: boolean }).dev) return
  nitroApp.hooks.hook('render:response', (page) => {
    if (typeof page.body !== 'string') return
    const { 'x-powered-by': _poweredBy, ...headers } = page.headers ?? {}
    page.headers = { ...headers, 'content-security-policy': contentSecurityPolicy(inlineScriptHashes(page.body)) }
  })
}
