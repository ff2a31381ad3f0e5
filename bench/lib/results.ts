import { mkdir, writeFile } from 'node:fs/promises'
import { describeMachine, type Machine } from './machine.js'

export const resultsDir = new URL('../results/', import.meta.url)

export function percentile(values: readonly number[], fraction: number): number | null {
  if (!values.length) return null
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))]!
}

export const median = (values: readonly number[]) => percentile(values, 0.5)

export function round(value: number, digits?: number): number
export function round(value: number | null, digits?: number): number | null
export function round(value: number | null, digits = 1): number | null {
  return value === null ? null : Math.round(value * 10 ** digits) / 10 ** digits
}

/** Writes bench/results/<name>.json: the date, the machine, and the benchmark's own figures. */
export async function writeResults(name: string, machine: Machine, figures: object): Promise<void> {
  const file = new URL(`${name}.json`, resultsDir)
  await mkdir(resultsDir, { recursive: true })
  await writeFile(file, `${JSON.stringify({ benchmark: name, date: new Date().toISOString(), machine, ...figures }, null, 2)}\n`)
  console.log(`\n${describeMachine(machine)}`)
  console.log(`Written to ${file.pathname}`)
}
