// PM2: one worker per core in cluster mode, all sharing one port.
// `npm run start:pm2` builds if needed and starts it; `pm2 reload facer` restarts workers one by one.
const shutdownTimeoutMs = Number(process.env.SHUTDOWN_TIMEOUT_MS ?? 10_000)

// In the Docker image (PM2_LOG_FILES=off) pm2-runtime prints the workers' output on stdout, where
// the container runtime stores, timestamps and rotates it: no log files growing inside the
// container, and the app's JSON lines stay plain JSON. On a host, PM2 writes ~/.pm2/logs/,
// each line stamped with the time.
const logToFiles = process.env.PM2_LOG_FILES !== 'off'

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
    max_memory_restart: process.env.MAX_MEMORY_RESTART ?? '1G',
    merge_logs: true,
    ...(logToFiles ? { time: true } : { time: false, out_file: '/dev/null', error_file: '/dev/null' }),
    // PORT, HOST and DATA_DIR come from the environment `pm2 start` runs in.
    env: {
      NODE_ENV: 'production',
      SHUTDOWN_TIMEOUT_MS: String(shutdownTimeoutMs),
    },
  },
]
