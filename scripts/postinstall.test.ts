import { execFile } from 'node:child_process'
import { cp, mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { listFiles, repoRoot } from '../tests/support/data.js'

const run = promisify(execFile)

describe('postinstall', () => {
  let app: string

  beforeAll(async () => {
    app = await mkdtemp(path.join(os.tmpdir(), 'facer-postinstall-'))
    for (const file of ['package.json', 'scripts/postinstall.mjs']) await cp(path.join(repoRoot, file), path.join(app, file))
  })
  afterAll(async () => {
    await rm(app, { recursive: true, force: true })
  })

  it('passes in a production install, where nuxt is not installed, and writes nothing', async () => {
    // PATH as a production machine has it: no node_modules/.bin of this checkout to find nuxt in.
    const PATH = (process.env.PATH ?? '').split(path.delimiter).filter((dir) => !dir.includes('node_modules')).join(path.delimiter)
    const { stdout } = await run('npm', ['run', 'postinstall'], { cwd: app, env: { ...process.env, PATH } })
    expect(stdout).toContain('nuxt is not installed (a production install), so `nuxt prepare` is skipped')
    expect(await listFiles(app)).toEqual(['package.json', 'scripts/postinstall.mjs'])
  })
})
