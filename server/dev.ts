// Development: the API alone on port 3001; `nuxt dev` on 3000 proxies /api, /data, /models and /wasm here.
import express from 'express'
import { createApiApp } from '../api/app.js'
import { ConfigError, loadConfig } from '../api/config.js'
import { requestLogger } from '../api/logging.js'
import { closeGracefully, createHttpServer, listen, log } from './lifecycle.js'

try {
  const config = loadConfig({ ...process.env, PORT: process.env.API_PORT ?? '3001' })
  const server = createHttpServer(express().disable('x-powered-by').use(requestLogger(), createApiApp(config)))
  const port = await listen(server, config.port, config.host)
  closeGracefully(server, config.shutdownTimeoutMs)
  log('API listening', { port, dataDir: config.dataDir })
} catch (err) {
  console.error(err instanceof ConfigError ? err.message : err)
  process.exit(1)
}
