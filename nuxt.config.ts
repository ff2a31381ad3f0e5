// Nuxt renders the pages; the Express API in `api/` is a separate app that
// `server/index.ts` mounts in front of Nuxt in production.
import { modelsUrl, wasmUrl } from './api/assets/urls'
import { securityHeaders } from './shared/http/headers'

// `npm run dev` runs the API beside `nuxt dev`; these paths are proxied to it.
const devApi = `http://127.0.0.1:${process.env.API_PORT ?? 3001}`

export default defineNuxtConfig({
  compatibilityDate: '2026-01-01',
  srcDir: '.',
  dir: { public: 'static' },
  devtools: { enabled: false },
  telemetry: false,
  nitro: {
    preset: 'node-listener',
    serveStatic: true,
    // The Host header is passed on as the browser sent it: the API compares it with the Origin of writes.
    devProxy: Object.fromEntries(
      ['/api', '/data', '/models', '/wasm'].map((path) => [path, { target: `${devApi}${path}`, changeOrigin: false }]),
    ),
  },
  runtimeConfig: {
    // Where server-side rendering reaches the API; set by server/index.ts in production.
    apiInternalBase: devApi,
    // Whether the API asks for a session; set by server/index.ts from its configuration in production.
    public: { modelsUrl, wasmUrl, authEnabled: Boolean(process.env.ADMIN_PASSWORD || process.env.ADMIN_PASSWORD_HASH) },
  },
  css: ['~/assets/css/main.css'],
  vite: {
    // The live recognition worker loads TensorFlow.js and face-api in chunks of their own: an ES module worker.
    worker: { format: 'es' },
    // Bundled when `nuxt dev` starts rather than found on the first visit: a dependency found late makes
    // Vite bundle again and reload the page, and the requests in flight then fail (504 Outdated Optimize Dep).
    optimizeDeps: { include: ['vuex', 'zod', '@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm', '@vladmandic/face-api/dist/face-api.esm-nobundle.js'] },
    // Under `nuxt dev`, Vite serves the scripts: a cross-origin isolated page starts a worker only from
    // a script that says it may be embedded.
    server: { headers: { 'Cross-Origin-Embedder-Policy': 'require-corp', 'Cross-Origin-Resource-Policy': 'same-origin' } },
  },
  routeRules: {
    // Cross-origin isolation lets TensorFlow.js's WASM backend use threads where there are cores
    // to spare. Every script, model and photo comes from this origin, so nothing is blocked.
    // The API sets the other security headers in production; these cover `nuxt dev` too.
    '/**': {
      headers: {
        ...securityHeaders,
        'Cross-Origin-Opener-Policy': 'same-origin',
        'Cross-Origin-Embedder-Policy': 'require-corp',
      },
    },
  },
  app: {
    head: {
      htmlAttrs: { lang: 'en' },
      title: 'facer',
      link: [{ rel: 'icon', type: 'image/svg+xml', href: '/favicon.svg' }],
      meta: [
        { name: 'description', content: 'Self-hosted real-time face recognition in your browser' },
        { name: 'viewport', content: 'width=device-width, initial-scale=1' },
      ],
    },
  },
  typescript: {
    strict: true,
    tsConfig: {
      // vuex 4.1's package exports leave out its types.
      compilerOptions: { paths: { vuex: ['../node_modules/vuex/types/index.d.ts'] } },
    },
  },
})
