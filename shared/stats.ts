// Summary figures of measurements: for the scripts, the benchmarks, and the pages the benchmarks bundle for
// Chromium (so no Node imports here).

/**
 * The value at `fraction` of the values in order (0.5: the median, 0.9: the 90th percentile), interpolated
 * linearly between the two nearest values; null for none.
 */
export function quantile(values: readonly number[], fraction: number): number | null {
  if (!values.length) return null
  const sorted = [...values].sort((a, b) => a - b)
  const position = (sorted.length - 1) * Math.min(1, Math.max(0, fraction))
  const below = Math.floor(position)
  const above = Math.min(below + 1, sorted.length - 1)
  return sorted[below]! + (sorted[above]! - sorted[below]!) * (position - below)
}

/** The middle value; null for none. */
export const median = (values: readonly number[]) => quantile(values, 0.5)

export function round(value: number, digits?: number): number
export function round(value: number | null, digits?: number): number | null
export function round(value: number | null, digits = 1): number | null {
  return value === null ? null : Math.round(value * 10 ** digits) / 10 ** digits
}
