// A process that writes the face model through the store, as a server worker or `npm run train`
// does: `node --import tsx tests/support/model-writer.ts <dataDir> <holdMs> <updates as JSON>`.
// Each update adds one descriptor entry to one person, in a write of its own. Inside the lock it
// prints "locked", then keeps its event loop busy for holdMs (no timer, no I/O runs meanwhile);
// after the write, "saved <generation>".
import { writeSync } from 'node:fs'
import { modelFile } from '../../api/storage/model-file.js'
import { withPerson, type DescriptorEntry } from '../../shared/face/model.js'

const [dataDir, holdMs, updates] = process.argv.slice(2) as [string, string, string]

for (const { name, entry } of JSON.parse(updates) as { name: string; entry: DescriptorEntry }[]) {
  const saved = await modelFile(dataDir).update((model) => {
    writeSync(1, 'locked\n')
    const until = Date.now() + Number(holdMs)
    while (Date.now() < until);
    const person = model.people.find((candidate) => candidate.name === name) ?? { name, descriptors: [], rejected: [] }
    return withPerson(model, { ...person, descriptors: [...person.descriptors, entry] })
  })
  writeSync(1, `saved ${saved.generation}\n`)
}
