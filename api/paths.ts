import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const require = createRequire(import.meta.url)

function findAppRoot(start: string): string {
  let dir = start
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir)
    if (parent === dir) throw new Error(`No package.json above ${start}`)
    dir = parent
  }
  return dir
}

/** The folder holding package.json, both from source (api/) and from the compiled dist/api/. */
export const appRoot = findAppRoot(path.dirname(fileURLToPath(import.meta.url)))

export const appVersion: string = JSON.parse(readFileSync(path.join(appRoot, 'package.json'), 'utf8')).version

export function packageDir(name: string): string {
  return path.dirname(require.resolve(`${name}/package.json`))
}
