// PM2: one worker per core in cluster mode, all sharing port 3000.
// `npm run start:pm2` builds if needed and starts it; `pm2 reload facer` restarts workers one by one.
const shutdownTimeoutMs = Number(process.env.SHUTDOWN_TIMEOUT_MS ?? 10_000)

export const apps = [
  {
    name: 'facer',
    script: './dist/server/index.js',
    exec_mode: 'cluster',
    instances: process.env.WEB_CONCURRENCY ?? 'max',
    // Workers tell PM2 they are ready once they listen; a reload waits for it.
    wait_ready: true,
    listen_timeout: 30_000,
    // Longer than the app's own graceful shutdown, so PM2 never cuts a request short.
    kill_timeout: shutdownTimeoutMs + 2_000,
    max_memory_restart: '1G',
    time: true,
    merge_logs: true,
    env: {
      NODE_ENV: 'production',
      SHUTDOWN_TIMEOUT_MS: String(shutdownTimeoutMs),
    },
  },
]
