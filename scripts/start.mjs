// `npm start`: builds when no build is there, then runs the production server in this
// process, or under PM2 in cluster mode with --pm2, the headless trainer with --train, the
// importer of a data folder with --import, the password hasher with --hash-password, or the
// copier between a data folder and PostgreSQL with --copy-data.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const outputs = ['.output/server/index.mjs', 'dist/server/index.js', 'dist/scripts/train.js', 'dist/scripts/import.js', 'dist/scripts/hash-password.js', 'dist/scripts/copy-data.js']
const built = outputs.every((file) => existsSync(new URL(`../${file}`, import.meta.url)))

function run(command, args) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' })
  if (result.status !== 0) process.exit(result.status ?? 1)
}

if (!built) {
  console.error('No build found: building first (npm run build).')
  run('npm', ['run', 'build'])
}

if (process.argv.includes('--pm2')) {
  run('npx', ['pm2', 'start', 'ecosystem.config.js'])
} else if (process.argv.includes('--hash-password')) {
  await import('../dist/scripts/hash-password.js')
} else if (process.argv.includes('--copy-data')) {
  await import('../dist/scripts/copy-data.js')
} else if (process.argv.includes('--train')) {
  await import('../dist/scripts/train.js')
} else if (process.argv.includes('--import')) {
  await import('../dist/scripts/import.js')
} else {
  await import('../dist/server/index.js')
}
