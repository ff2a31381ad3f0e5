// `npm run copy-data -- <from> <to>`: copies people, their photos and the face model (its generation
// too) from one store to another, each a data folder's path or a postgres:// URL, into an empty target.
import { copyData } from '../api/storage/copy.js'

const usage = 'usage: npm run copy-data -- <from> <to>   (each a data folder or a postgres:// URL; <to> must be empty)'

const args = process.argv.slice(process.argv.indexOf('--copy-data') + 1)
if (args.length !== 2) {
  console.error(usage)
  process.exit(2)
}
const [from, to] = args as [string, string]
try {
  await copyData(from, to)
  console.log(`copied ${from.replace(/\/\/[^@/]*@/, '//…@')} to ${to.replace(/\/\/[^@/]*@/, '//…@')}`)
} catch (err) {
  console.error(`copy-data: ${err instanceof Error ? err.message : String(err)}`)
  process.exit(1)
}
