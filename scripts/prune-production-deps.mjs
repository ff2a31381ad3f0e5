// `node scripts/prune-production-deps.mjs [folder]`, run by the Dockerfile's deps stage after
// `npm ci --omit=dev`: leaves in the folder's node_modules only what the server and `npm run train`
// load at run time, and the files the server serves from packages.
// - TensorFlow.js and face-api ship every bundle for every platform and module format (and the
//   source maps of each), while Node loads one self-contained file of each. Of those packages only
//   that file stays, with package.json, the license and what the server serves from them: the face
//   models (/models/) and the WASM binaries (/wasm/, fetched by the pages and loaded by the trainer).
// - Their dependencies are followed only where that file requires them: @tensorflow/tfjs declares
//   its converter CLI's (yargs, core-js…) and type packages that nothing loads at run time.
// - A package that nothing kept depends on goes, and so do source maps and TypeScript files, which
//   Node never loads from node_modules.
import { existsSync } from 'node:fs'
import { lstat, readdir, readFile, rm, rmdir, stat } from 'node:fs/promises'
import { isBuiltin } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

/** Per package: the files Node loads (its `main` unless named) and what the server serves from it. */
const bundled = {
  '@tensorflow/tfjs': {},
  '@tensorflow/tfjs-backend-cpu': {},
  '@tensorflow/tfjs-backend-wasm': { serves: /^dist\/[\w-]+\.wasm$/ },
  '@tensorflow/tfjs-backend-webgl': {},
  '@tensorflow/tfjs-converter': {},
  '@tensorflow/tfjs-core': {},
  '@tensorflow/tfjs-data': {},
  '@tensorflow/tfjs-layers': {},
  '@vladmandic/face-api': { loads: ['dist/face-api.node-wasm.js'], serves: /^model\// },
}
const license = /^(licen[cs]e|copying|notice)(\.\w+)?$/i
const neverLoaded = /(\.map|\.[cm]?ts)$/

const appDir = path.resolve(process.argv[2] ?? '.')
const modulesDir = path.join(appDir, 'node_modules')

async function readJson(file) {
  return JSON.parse(await readFile(file, 'utf8'))
}

/** Every installed package folder, nested ones included. */
async function installedPackages(dir) {
  const found = []
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    if (!entry.isDirectory() || entry.name.startsWith('.')) continue
    const folder = path.join(dir, entry.name)
    if (entry.name.startsWith('@')) {
      found.push(...(await installedPackages(folder)))
    } else if (existsSync(path.join(folder, 'package.json'))) {
      found.push(folder, ...(await installedPackages(path.join(folder, 'node_modules'))))
    }
  }
  return found
}

/** Where Node finds package `name` from `fromDir`: its own node_modules first, then each folder above, up to the app. */
function resolvePackage(name, fromDir) {
  for (let dir = fromDir; dir.startsWith(appDir); dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name)
    if (existsSync(path.join(candidate, 'package.json'))) return candidate
    if (dir === appDir) break
  }
  return undefined
}

/** The packages a bundle requires or imports: bare specifiers, builtins left out. */
async function requiredBy(file) {
  const text = await readFile(file, 'utf8')
  const specifiers = [...text.matchAll(/\b(?:require|import)\(\s*['"]([^'"]+)['"]\s*\)|\bfrom\s*['"]([^'"]+)['"]/g)].map((match) => match[1] ?? match[2])
  return specifiers
    .filter((specifier) => !specifier.startsWith('.') && !specifier.startsWith('/') && !isBuiltin(specifier))
    .map((specifier) => specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/'))
}

/** The files of a bundled package that stay, relative to its folder. */
function keptFiles(manifest, rules) {
  const loads = rules.loads ?? [manifest.main ?? 'index.js']
  return (file) => file === 'package.json' || license.test(file) || loads.includes(file) || Boolean(rules.serves?.test(file))
}

/** Package folders reachable from the app's dependencies, and for each bundled one what it keeps. */
async function reachable() {
  const root = await readJson(path.join(appDir, 'package.json'))
  const reached = new Map()
  const queue = Object.keys({ ...root.dependencies, ...root.optionalDependencies }).map((name) => [name, appDir])
  while (queue.length) {
    const [name, fromDir] = queue.shift()
    const folder = resolvePackage(name, fromDir)
    if (!folder || reached.has(folder)) continue
    const manifest = await readJson(path.join(folder, 'package.json'))
    const rules = bundled[manifest.name]
    reached.set(folder, rules ? keptFiles(manifest, rules) : undefined)
    const dependencies = rules
      ? (await Promise.all((rules.loads ?? [manifest.main]).map((file) => requiredBy(path.join(folder, file))))).flat()
      : Object.keys({ ...manifest.dependencies, ...manifest.optionalDependencies, ...manifest.peerDependencies })
    for (const dependency of dependencies) queue.push([dependency, folder])
  }
  return reached
}

/** Removes the files under `dir` that `remove` picks, leaving nested node_modules to their own package. */
async function pruneFiles(dir, remove, relative = '') {
  let bytes = 0
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name)
    const name = path.posix.join(relative, entry.name)
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules') bytes += await pruneFiles(file, remove, name)
    } else if (remove(name)) {
      bytes += (await lstat(file)).size
      await rm(file)
    }
  }
  return bytes
}

async function removeEmptyFolders(dir) {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) await removeEmptyFolders(path.join(dir, entry.name))
  }
  if ((await readdir(dir)).length === 0) await rmdir(dir)
}

/** The bytes of every file under `target` (or of `target` itself); links count as themselves. */
export async function folderBytes(target) {
  const stats = await lstat(target)
  if (!stats.isDirectory()) return stats.size
  let total = 0
  for (const entry of await readdir(target)) total += await folderBytes(path.join(target, entry))
  return total
}

const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MB`

async function main() {
  if (!existsSync(modulesDir)) throw new Error(`${modulesDir} does not exist: install the production dependencies first`)
  const before = await folderBytes(modulesDir)
  const reached = await reachable()
  const unused = (await installedPackages(modulesDir)).filter((folder) => !reached.has(folder))
  for (const folder of unused) await rm(folder, { recursive: true, force: true })

  let trimmed = 0
  for (const [folder, keep] of reached) {
    trimmed += await pruneFiles(folder, (file) => (keep ? !keep(file) : neverLoaded.test(file)))
  }
  const binDir = path.join(modulesDir, '.bin')
  for (const link of await readdir(binDir).catch(() => [])) {
    if (!(await stat(path.join(binDir, link)).catch(() => undefined))) await rm(path.join(binDir, link))
  }
  // npm's record of the tree as installed; npm reads the folders themselves when it is gone.
  await rm(path.join(modulesDir, '.package-lock.json'), { force: true })
  await removeEmptyFolders(modulesDir)

  const names = [...new Set(unused.map((folder) => path.relative(modulesDir, folder).split(`${path.sep}node_modules${path.sep}`).at(-1)))]
  console.log(`Pruned ${modulesDir}: ${mb(before)} → ${mb(await folderBytes(modulesDir))}.`)
  console.log(`  ${reached.size} packages kept; ${unused.length} removed, loaded by nothing at run time: ${names.sort().join(', ')}`)
  console.log(`  ${mb(trimmed)} of files no one loads removed from the packages kept (bundles for other platforms, source maps, TypeScript)`)
}

// Run as a command; imported (by the Docker replay, for folderBytes) it prunes nothing.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    await main()
  } catch (err) {
    console.error(`prune-production-deps: ${err instanceof Error ? err.message : err}`)
    process.exitCode = 1
  }
}
