import path from 'node:path'

/**
 * Joins path segments under `base` and proves the result stays inside it. Names are validated
 * before they get here; this is the second lock on the same door.
 */
export function resolveInside(base: string, ...segments: string[]): string {
  const root = path.resolve(base)
  const resolved = path.resolve(root, ...segments)
  if (resolved !== root && !resolved.startsWith(root + path.sep)) {
    throw new Error(`Path escapes its folder: ${JSON.stringify(segments)}`)
  }
  return resolved
}
