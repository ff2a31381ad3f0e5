// Production: one process on PORT serving the API and the built Nuxt app.
import type { IncomingMessage, ServerResponse } from 'node:http'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import express from 'express'
import { createApiApp } from '../api/app.js'
import { ConfigError, loadConfig, type AppConfig } from '../api/config.js'
import { requestLogger } from '../api/logging.js'
import { appRoot } from '../api/paths.js'
import { closeGracefully, createHttpServer, listen, log } from './lifecycle.js'

type NodeListener = (req: IncomingMessage, res: ServerResponse) => void

function loopback(host: string): string {
  if (host === '0.0.0.0' || host === '::') return host === '::' ? '[::1]' : '127.0.0.1'
  return host.includes(':') ? `[${host}]` : host
}

async function start(config: AppConfig): Promise<void> {
  const app = express()
  app.disable('x-powered-by')
  app.use(requestLogger())
  app.use(createApiApp(config))

  let resolveNuxt: (listener: NodeListener) => void = () => {}
  const nuxt = new Promise<NodeListener>((resolve) => (resolveNuxt = resolve))
  app.use((req, res, next) => {
    nuxt.then((listener) => listener(req, res), next)
  })

  const server = createHttpServer(app)
  const port = await listen(server, config.port, config.host)
  closeGracefully(server, config.shutdownTimeoutMs)
  // Nitro reads its runtime config from the environment once, when its bundle loads, so the
  // address that server-side rendering uses to reach the API, and whether sign-in is on, are set before it loads.
  process.env.NUXT_API_INTERNAL_BASE = `http://${loopback(config.host)}:${port}`
  process.env.NUXT_PUBLIC_AUTH_ENABLED = String(config.auth !== null)
  const bundle = pathToFileURL(path.join(appRoot, '.output/server/index.mjs')).href
  resolveNuxt(((await import(bundle)) as { listener: NodeListener }).listener)

  log('listening', { url: `http://${loopback(config.host)}:${port}`, port, dataDir: config.dataDir })
  process.send?.('ready')
}

try {
  await start(loadConfig())
} catch (err) {
  console.error(err instanceof ConfigError ? err.message : err)
  process.exit(1)
}
