// postinstall: `nuxt prepare` writes .nuxt/ (the generated types and tsconfig that vue-tsc and
// editors read). Nuxt is a build tool, a devDependency: a production install
// (`npm ci --omit=dev`) has no nuxt and needs no .nuxt/, so there it is skipped.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import path from 'node:path'

if (!existsSync(path.join('node_modules', 'nuxt', 'package.json'))) {
  console.log('postinstall: nuxt is not installed (a production install), so `nuxt prepare` is skipped')
} else {
  const result = spawnSync('nuxt', ['prepare'], { stdio: 'inherit', shell: process.platform === 'win32' })
  process.exitCode = result.status ?? 1
}
