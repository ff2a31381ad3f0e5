// `npm run import -- <folder>`: imports a facer data folder into DATA_DIR, or the database (DATABASE_URL) (see lib/import-folder.ts)
// and prints what it took and what it refused, and why.
import path from 'node:path'
import { parseArgs } from 'node:util'
import { loadConfig } from '../api/config.js'
import { openBackend } from '../api/storage/backend.js'
import { importFolder } from './lib/import-folder.js'

const usage = 'usage: npm run import -- <folder>   (a data folder: users/<name>/<photos>, and faces.json)'

async function main(): Promise<void> {
  const { positionals } = parseArgs({ args: process.argv.slice(2).filter((arg) => arg !== '--import'), allowPositionals: true })
  if (positionals.length !== 1) throw new Error(usage)
  const folder = path.resolve(positionals[0]!)
  const config = loadConfig()
  const backend = openBackend(config)
  console.log(`Importing ${folder} into ${config.databaseUrl ? 'the database (DATABASE_URL)' : config.dataDir}…`)
  const report = await importFolder(folder, backend.storage).finally(() => backend.close())
  const photos = report.people.reduce((sum, person) => sum + person.took.length, 0)
  console.log(`\nTook ${photos} photos of ${report.people.length} people:`)
  for (const person of report.people) {
    console.log(`  ${person.name}${person.created ? '' : ' (already registered: photos added)'}: ${person.took.length} photos`)
    for (const { file, framing } of person.took) console.log(`    ${file}: ${framing}`)
  }
  console.log(`\nRefused ${report.refused.length}:`)
  for (const { file, reason } of report.refused) console.log(`  ${file}: ${reason}`)
  console.log(`\n${report.model}`)
}

try {
  await main()
} catch (err) {
  console.error(err instanceof Error ? err.message : err)
  process.exitCode = 1
}
