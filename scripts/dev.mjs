// `npm run dev`: the API on port 3001 (restarting on change) and `nuxt dev` on 3000 together.
// Ctrl-C stops both; if either exits, the other is stopped too.
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

// The binaries themselves, not `npx`: a signal to npx does not reach the program it started.
const bin = (name) => fileURLToPath(new URL(`../node_modules/.bin/${name}`, import.meta.url))
const children = [
  spawn(bin('tsx'), ['watch', '--clear-screen=false', 'server/dev.ts'], { stdio: 'inherit' }),
  spawn(bin('nuxt'), ['dev', '--port', process.env.PORT ?? '3000'], { stdio: 'inherit' }),
]

let stopping = false
function stop(code) {
  if (stopping) return
  stopping = true
  process.exitCode = code
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM')
  setTimeout(() => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL')
  }, 5000).unref()
}

for (const child of children) child.on('exit', (code) => stop(code ?? 0))
process.on('SIGINT', () => stop(0))
process.on('SIGTERM', () => stop(0))
