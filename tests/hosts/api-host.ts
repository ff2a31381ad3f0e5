// One app host for the two-hosts test: the API alone (no Nuxt build needed), configured from the
// environment like the production server, logging its address once it listens.
import { createApiApp } from '../../api/app.js'
import { loadConfig } from '../../api/config.js'

const config = loadConfig()
const server = createApiApp(config).listen(config.port, config.host, () => {
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : config.port
  process.stdout.write(`${JSON.stringify({ msg: 'listening', url: `http://${config.host}:${port}` })}\n`)
})
