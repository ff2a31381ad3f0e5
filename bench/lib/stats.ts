// Figures from timings, for every benchmark: in Node, and in the pages bundled for Chromium (no Node imports here).

/** The value at `fraction` (0.5: the median) of the values in order; null for none. */
export function percentile(values: readonly number[], fraction: number): number | null {
  if (!values.length) return null
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))]!
}

/** The middle value; null for none. */
export const median = (values: readonly number[]) => percentile(values, 0.5)

export function round(value: number, digits?: number): number
export function round(value: number | null, digits?: number): number | null
export function round(value: number | null, digits = 1): number | null {
  return value === null ? null : Math.round(value * 10 ** digits) / 10 ** digits
}

