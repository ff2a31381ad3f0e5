import { describe, expect, it } from 'vitest'
import { resolveInside } from './safe-path.js'

describe('resolveInside', () => {
  it('joins names under the base', () => {
    expect(resolveInside('/data/users', 'Ada Lovelace', 'a.jpg')).toBe('/data/users/Ada Lovelace/a.jpg')
    expect(resolveInside('/data/users/', '.')).toBe('/data/users')
  })

  it.each([['..'], ['../x'], ['a/../../x'], ['/etc'], ['a/../..']])('refuses %j', (segment) => {
    expect(() => resolveInside('/data/users', segment)).toThrow('Path escapes its folder')
  })

  it('refuses a sibling folder whose name starts like the base', () => {
    expect(() => resolveInside('/data/users', '../users-evil/x')).toThrow('Path escapes its folder')
  })
})
