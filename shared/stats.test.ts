import { describe, expect, it } from 'vitest'
import { median, quantile, round } from './stats.js'

describe('quantile', () => {
  it.each([
    { values: [3, 1, 2], fraction: 0.5, expected: 2 },
    { values: [1, 2, 3, 4], fraction: 0.5, expected: 2.5 },
    { values: [10, 20], fraction: 0.9, expected: 19 },
    { values: [5, 1, 9], fraction: 0, expected: 1 },
    { values: [5, 1, 9], fraction: 1, expected: 9 },
    { values: [7], fraction: 0.3, expected: 7 },
  ])('of $values at $fraction is $expected', ({ values, fraction, expected }) => {
    expect(quantile(values, fraction)).toBeCloseTo(expected, 10)
  })

  it('is null for no values, and leaves its input in its order', () => {
    expect(quantile([], 0.5)).toBeNull()
    const values = [3, 1, 2]
    expect(median(values)).toBe(2)
    expect(values).toEqual([3, 1, 2])
  })

  it('rounds to the digits asked for, and keeps null', () => {
    expect(round(1.26)).toBe(1.3)
    expect(round(1.2345, 2)).toBe(1.23)
    expect(round(null)).toBeNull()
  })
})
