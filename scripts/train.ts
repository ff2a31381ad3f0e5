// `npm run train [-- --person NAME] [--detector ssd|tiny]`: trains the data folder without a
// browser, with the same enrollment code and models as the Train page.
import { parseArgs } from 'node:util'
import { loadConfig } from '../api/config.js'
import { HttpError } from '../api/errors.js'
import { updateModel, updatePersonModel } from '../api/faces/service.js'
import { openBackend } from '../api/storage/backend.js'
import { enrollDefaults } from '../shared/face/enroll.js'
import { runTraining } from '../shared/face/pipeline.js'
import { withoutPerson, withPerson, type Detector } from '../shared/face/model.js'
import { lookAlikeMessage, minimumUsablePhotos, planTraining, summarizeModel } from '../shared/face/training.js'
import { decodePhoto, nodeFaceRuntime } from '../api/faces/node-runtime.js'
import { uploadedName } from '../shared/photos/names.js'

/** A photo as its person knows it: the name it was uploaded with, and the stored name that finds it. */
function photoLabel(storedName: string): string {
  const uploaded = uploadedName(storedName)
  return uploaded ? `"${uploaded}" (${storedName})` : storedName
}

const detectors: Record<string, Detector> = { ssd: 'ssd_mobilenetv1', tiny: 'tiny_face_detector' }

function progressLine(done: number, total: number, person: string, startedAt: number): string {
  const width = 24
  const filled = total ? Math.round((done / total) * width) : width
  const elapsed = (Date.now() - startedAt) / 1000
  const eta = done ? (elapsed / done) * (total - done) : 0
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} photos · ${person} · ${elapsed.toFixed(1)} s · ETA ${eta.toFixed(0)} s`
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2).filter((arg) => arg !== '--train'),
    options: { person: { type: 'string', multiple: true }, detector: { type: 'string', default: 'ssd' } },
  })
  const detector = detectors[values.detector ?? 'ssd']
  if (!detector) throw new Error(`--detector must be one of: ${Object.keys(detectors).join(', ')}`)
  const config = loadConfig()
  const { storage } = openBackend(config)
  const where = config.databaseUrl ? 'the database (DATABASE_URL)' : config.dataDir
  const registered = (await storage.listPeople()).map((person) => person.name)
  for (const name of values.person ?? []) {
    if (!registered.includes(name)) throw new Error(`Nobody is registered as "${name}"`)
  }
  const before = await storage.readModel()
  const plan = planTraining(before, registered, await storage.photoHashes(), detector, values.person)
  console.log(`Training ${plan.people.length} people in ${where}: ${plan.toProcess.length} new or changed photos.`)

  // Loading the networks takes seconds: only when there is something to train, and before the clock starts.
  if (plan.toProcess.length) await nodeFaceRuntime()
  const startedAt = Date.now()
  const interactive = process.stderr.isTTY
  let done = 0
  await runTraining(plan, before, {
    runtime: nodeFaceRuntime,
    enroll: { ...enrollDefaults, detector },
    decode: async (photo) => {
      const bytes = await storage.readPhoto(photo.person, photo.photo)
      if (!bytes) throw new Error(`${photo.person}'s photo ${photo.photo} was removed while training`)
      return decodePhoto(bytes)
    },
    photoDone: (photo) => {
      done++
      const line = progressLine(done, plan.toProcess.length, photo.person, startedAt)
      if (interactive) process.stderr.write(`\r${line}`)
      else if (done === plan.toProcess.length || done % 10 === 0) console.error(line)
    },
    // Saved only if they are still registered under that name: the server may have deleted or renamed them meanwhile.
    // The save flags their photos that look like someone else's (updatePersonModel), as the server's routes do.
    save: async (trained) => {
      try {
        await updatePersonModel(storage, trained.name, (model) => withPerson(model, trained))
      } catch (err) {
        if (!(err instanceof HttpError && err.status === 404)) throw err
        console.error(`\n${trained.name} was deleted or renamed while being trained: their results are not saved.`)
      }
    },
    remove: async (name) => {
      await updateModel(storage, (model) => withoutPerson(model, name))
    },
  })
  if (interactive && done) process.stderr.write('\n')

  const summary = summarizeModel(await storage.readModel())
  const seconds = (Date.now() - startedAt) / 1000
  console.log(`\nTrained ${done} photos in ${seconds.toFixed(1)} s${done ? ` (${(seconds / done * 1000).toFixed(0)} ms per photo)` : ''}.`)
  for (const person of summary.people) {
    const flag = person.needsPhotos ? `  ← needs at least ${minimumUsablePhotos} usable photos` : ''
    const flagged = person.flagged.length ? `, ${person.flagged.length} flagged` : ''
    console.log(`  ${person.name}: ${person.usable} usable, ${person.rejected.length} rejected${flagged}${flag}`)
    for (const rejected of person.rejected) console.log(`      ${photoLabel(rejected.photo)}: ${rejected.detail}`)
    for (const { photo, lookAlike } of person.flagged) {
      console.log(`      ${photoLabel(photo)}: ${lookAlikeMessage(lookAlike)} Not used until confirmed or moved (on ${person.name}'s page).`)
    }
  }
  if (summary.closest.length) {
    console.log('\nClosest people (smallest distance between their photos; below 0.5 they may be confused):')
    for (const pair of summary.closest) {
      console.log(`  ${pair.a} ↔ ${pair.b}: ${pair.distance.toFixed(3)}${pair.sameFace ? '  ← the same face under two names?' : ''}`)
    }
  }
  for (const name of plan.removedPeople) console.log(`Removed ${name}, who is no longer registered.`)
}

try {
  await main()
} catch (err) {
  console.error(err instanceof Error ? err.message : err)
  process.exitCode = 1
}
