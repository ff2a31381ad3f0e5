import { mkdir, writeFile } from 'node:fs/promises'
import { describeMachine, type Machine } from './machine.js'

export { median, quantile, round } from '../../shared/stats.js'

export const resultsDir = new URL('../results/', import.meta.url)

/** Writes bench/results/<name>.json: the date, the machine, and the benchmark's own figures. */
export async function writeResults(name: string, machine: Machine, figures: object): Promise<void> {
  const file = new URL(`${name}.json`, resultsDir)
  await mkdir(resultsDir, { recursive: true })
  await writeFile(file, `${JSON.stringify({ benchmark: name, date: new Date().toISOString(), machine, ...figures }, null, 2)}\n`)
  console.log(`\n${describeMachine(machine)}`)
  console.log(`Written to ${file.pathname}`)
}
