import { execFile } from 'node:child_process'
import { mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { listFiles, repoRoot } from '../tests/support/data.js'

const run = promisify(execFile)
const script = path.join(repoRoot, 'scripts/prune-production-deps.mjs')

/** Writes `files` (path → content) under `dir`, each package.json given as an object. */
async function writeTree(dir: string, files: Record<string, string | object>): Promise<void> {
  for (const [file, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, file)), { recursive: true })
    await writeFile(path.join(dir, file), typeof content === 'string' ? content : JSON.stringify(content))
  }
}

async function emptyFolders(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true })
  const folders = entries.filter((entry) => entry.isDirectory()).map((entry) => path.join(entry.parentPath, entry.name))
  const empty = await Promise.all(folders.map(async (folder) => ((await readdir(folder)).length === 0 ? [path.relative(dir, folder)] : [])))
  return empty.flat()
}

// An install laid out as npm lays it: the bundled packages with their many builds, a CLI-only
// dependency that shares a package with the server's, a nested package, types, an orphan.
const install = {
  'package.json': { name: 'app', dependencies: { '@tensorflow/tfjs': '*', '@vladmandic/face-api': '*', 'server-lib': '*' } },
  'node_modules/@tensorflow/tfjs/package.json': {
    name: '@tensorflow/tfjs',
    main: 'dist/tf.node.js',
    dependencies: { '@tensorflow/tfjs-core': '*', '@tensorflow/tfjs-backend-wasm': '*', 'cli-only': '*', '@types/seed': '*' },
  },
  'node_modules/@tensorflow/tfjs/dist/tf.node.js':
    "var core = require('@tensorflow/tfjs-core');\nvar wasm = require('@tensorflow/tfjs-backend-wasm');\nvar crypto = require('crypto');\n// var gone = require('never-installed');\n",
  'node_modules/@tensorflow/tfjs/dist/tf.node.js.map': '{}',
  'node_modules/@tensorflow/tfjs/dist/tf.min.js': 'browser bundle',
  'node_modules/@tensorflow/tfjs/dist/index.d.ts': 'export {}',
  'node_modules/@tensorflow/tfjs/dist/tools/cli.js': "require('cli-only')",
  'node_modules/@tensorflow/tfjs/README.md': 'readme',
  'node_modules/@tensorflow/tfjs/LICENSE': 'Apache-2.0',
  'node_modules/@tensorflow/tfjs-core/package.json': { name: '@tensorflow/tfjs-core', main: 'dist/tf-core.node.js', dependencies: { seed: '*' } },
  'node_modules/@tensorflow/tfjs-core/dist/tf-core.node.js': "var alea = require('seed/lib/alea');\nvar util = require('node:util');\n",
  'node_modules/@tensorflow/tfjs-core/dist/tf-core.esm.js': "import seed from 'seed'",
  'node_modules/@tensorflow/tfjs-core/node_modules/@types/offscreencanvas/package.json': { name: '@types/offscreencanvas' },
  'node_modules/@tensorflow/tfjs-backend-wasm/package.json': { name: '@tensorflow/tfjs-backend-wasm', main: 'dist/tf-backend-wasm.node.js' },
  'node_modules/@tensorflow/tfjs-backend-wasm/dist/tf-backend-wasm.node.js': "require('fs')",
  'node_modules/@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm': 'wasm',
  'node_modules/@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm': 'wasm simd',
  'node_modules/@tensorflow/tfjs-backend-wasm/dist/tf-backend-wasm.js': 'browser bundle',
  'node_modules/@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm.wasm': 'build output',
  'node_modules/@vladmandic/face-api/package.json': { name: '@vladmandic/face-api', main: 'dist/face-api.node.js' },
  'node_modules/@vladmandic/face-api/dist/face-api.node.js': "require('@tensorflow/tfjs-node')",
  'node_modules/@vladmandic/face-api/dist/face-api.node-wasm.js': "require('@tensorflow/tfjs'); require('@tensorflow/tfjs-backend-wasm')",
  'node_modules/@vladmandic/face-api/dist/face-api.esm.js': 'browser bundle',
  'node_modules/@vladmandic/face-api/model/tiny_face_detector_model.bin': 'weights',
  'node_modules/@vladmandic/face-api/model/tiny_face_detector_model-weights_manifest.json': '[]',
  'node_modules/@vladmandic/face-api/LICENSE': 'MIT',
  'node_modules/seed/package.json': { name: 'seed' },
  'node_modules/seed/lib/alea.js': 'module.exports = 1',
  'node_modules/cli-only/package.json': { name: 'cli-only', bin: 'bin.js', dependencies: { 'shared-dep': '*', 'cli-helper': '*' } },
  'node_modules/cli-only/bin.js': '',
  'node_modules/cli-helper/package.json': { name: 'cli-helper' },
  'node_modules/shared-dep/package.json': { name: 'shared-dep' },
  'node_modules/shared-dep/index.js': '',
  'node_modules/server-lib/package.json': { name: 'server-lib', bin: 'cli.js', dependencies: { 'shared-dep': '*', 'nested-dep': '*' }, peerDependencies: { 'not-installed': '*' } },
  'node_modules/server-lib/index.js': '',
  'node_modules/server-lib/cli.js': '',
  'node_modules/server-lib/index.js.map': '{}',
  'node_modules/server-lib/index.d.ts': 'export {}',
  'node_modules/server-lib/index.d.cts': 'export {}',
  'node_modules/server-lib/src/index.ts': 'export {}',
  'node_modules/server-lib/README.md': 'readme',
  'node_modules/server-lib/node_modules/nested-dep/package.json': { name: 'nested-dep' },
  'node_modules/server-lib/node_modules/nested-dep/index.js': '',
  'node_modules/server-lib/node_modules/nested-dep/index.js.map': '{}',
  'node_modules/@types/seed/package.json': { name: '@types/seed' },
  'node_modules/@types/seed/index.d.ts': 'export {}',
  'node_modules/leftover/package.json': { name: 'leftover' },
  'node_modules/.package-lock.json': '{}',
}

describe('prune-production-deps', () => {
  let app: string

  beforeEach(async () => {
    app = await mkdtemp(path.join(os.tmpdir(), 'facer-prune-'))
  })
  afterEach(async () => {
    await rm(app, { recursive: true, force: true })
  })

  it('keeps what the bundles load and the files served, and every package the others depend on', async () => {
    await writeTree(app, install)
    await mkdir(path.join(app, 'node_modules/.bin'))
    await symlink('../cli-only/bin.js', path.join(app, 'node_modules/.bin/cli-only'))
    await symlink('../server-lib/cli.js', path.join(app, 'node_modules/.bin/server-lib'))

    const { stdout } = await run(process.execPath, [script, app])

    expect(await listFiles(path.join(app, 'node_modules'))).toEqual([
      '@tensorflow/tfjs-backend-wasm/dist/tf-backend-wasm.node.js',
      '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm',
      '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm',
      '@tensorflow/tfjs-backend-wasm/package.json',
      '@tensorflow/tfjs-core/dist/tf-core.node.js',
      '@tensorflow/tfjs-core/package.json',
      '@tensorflow/tfjs/LICENSE',
      '@tensorflow/tfjs/dist/tf.node.js',
      '@tensorflow/tfjs/package.json',
      '@vladmandic/face-api/LICENSE',
      '@vladmandic/face-api/dist/face-api.node-wasm.js',
      '@vladmandic/face-api/model/tiny_face_detector_model-weights_manifest.json',
      '@vladmandic/face-api/model/tiny_face_detector_model.bin',
      '@vladmandic/face-api/package.json',
      'seed/lib/alea.js',
      'seed/package.json',
      'server-lib/README.md',
      'server-lib/cli.js',
      'server-lib/index.js',
      'server-lib/node_modules/nested-dep/index.js',
      'server-lib/node_modules/nested-dep/package.json',
      'server-lib/package.json',
      'shared-dep/index.js',
      'shared-dep/package.json',
    ])
    // The links of packages that went go with them.
    expect(await readdir(path.join(app, 'node_modules/.bin'))).toEqual(['server-lib'])
    expect(await emptyFolders(app)).toEqual([])
    expect(stdout).toContain('8 packages kept; 5 removed, loaded by nothing at run time: @types/offscreencanvas, @types/seed, cli-helper, cli-only, leftover')
  })

  it('refuses a folder with no node_modules, leaving it as it was', async () => {
    await writeTree(app, { 'package.json': install['package.json'] })
    const pruning = run(process.execPath, [script, app])
    await expect(pruning).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('install the production dependencies first') })
    expect(await listFiles(app)).toEqual(['package.json'])
  })
})
