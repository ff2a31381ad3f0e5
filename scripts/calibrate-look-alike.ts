// `npm run calibrate:look-alike [-- --set DIR]...`: measures where "very close to another person's photo"
// should sit, the distance below which training flags a photo as a likely mix-up (the same face under
// two names; `lookAlikeDistance` in shared/face/training.ts). For each photo set it prints, from the
// app's own enrollment code on photos stored the way the app stores them:
// - the distances between photos of different people (the flag must stay below all of them);
// - the distance between a photo and a second copy of it, shrunk and saved again as a JPEG (the same
//   photo uploaded twice, under two names);
// - for each photo, the distance to the nearest other photo of the same person (another photo of that
//   person uploaded under a second name).
// Writes every figure to bench/results/look-alike.json.
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { parseArgs } from 'node:util'
import sharp from 'sharp'
import { appRoot } from '../api/paths.js'
import { normalizePhoto } from '../api/photos/image.js'
import { euclideanDistance } from '../shared/face/descriptor.js'
import { enrollDefaults, enrollFace, type FaceRuntime } from '../shared/face/enroll.js'
import { lookAlikeDistance } from '../shared/face/training.js'
import { decodePhoto, nodeFaceRuntime } from '../api/faces/node-runtime.js'
import { readPhotoSet, type LabeledPhoto } from './lib/photo-sets.js'

async function descriptorOf(runtime: FaceRuntime, bytes: Buffer, label: string): Promise<Float32Array | null> {
  const image = await decodePhoto(await normalizePhoto(bytes, label))
  try {
    const result = await enrollFace(runtime, image, enrollDefaults)
    return result.ok ? result.descriptor : null
  } finally {
    image.dispose()
  }
}

/** The photo as it comes back from a messenger or a screenshot: 80% of its size, JPEG quality 70. */
async function secondCopy(bytes: Buffer): Promise<Buffer> {
  const { width = 0 } = await sharp(bytes).rotate().metadata()
  return sharp(bytes).rotate().resize({ width: Math.max(1, Math.round(width * 0.8)) }).jpeg({ quality: 70 }).toBuffer()
}

const round = (value: number) => Math.round(value * 1000) / 1000

function quantile(sorted: number[], fraction: number): number {
  if (!sorted.length) return Number.NaN
  const position = (sorted.length - 1) * fraction
  const below = Math.floor(position)
  return sorted[below]! + (sorted[Math.min(below + 1, sorted.length - 1)]! - sorted[below]!) * (position - below)
}

const stats = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b)
  return { count: sorted.length, min: round(sorted[0] ?? Number.NaN), p1: round(quantile(sorted, 0.01)), median: round(quantile(sorted, 0.5)), max: round(sorted.at(-1) ?? Number.NaN) }
}

async function measure(runtime: FaceRuntime, photos: LabeledPhoto[]) {
  const usable: { photo: LabeledPhoto; descriptor: Float32Array; copy: Float32Array | null }[] = []
  for (const photo of photos) {
    const bytes = await readFile(photo.file)
    const descriptor = await descriptorOf(runtime, bytes, photo.key)
    if (descriptor) usable.push({ photo, descriptor, copy: await descriptorOf(runtime, await secondCopy(bytes), photo.key) })
  }
  const different: { a: string; b: string; distance: number }[] = []
  for (let i = 0; i < usable.length; i++) {
    for (let j = i + 1; j < usable.length; j++) {
      if (usable[i]!.photo.person !== usable[j]!.photo.person) {
        different.push({ a: usable[i]!.photo.key, b: usable[j]!.photo.key, distance: euclideanDistance(usable[i]!.descriptor, usable[j]!.descriptor) })
      }
    }
  }
  different.sort((a, b) => a.distance - b.distance)
  const copies = usable.flatMap(({ descriptor, copy }) => (copy ? [euclideanDistance(descriptor, copy)] : []))
  const nearestSame = usable.flatMap(({ photo, descriptor }) => {
    const others = usable.filter((other) => other.photo.person === photo.person && other.photo !== photo)
    return others.length ? [Math.min(...others.map((other) => euclideanDistance(descriptor, other.descriptor)))] : []
  })
  const caught = (values: number[]) => values.filter((value) => value < lookAlikeDistance).length
  return {
    photos: photos.length,
    usable: usable.length,
    differentPeople: { ...stats(different.map((pair) => pair.distance)), closest: different.slice(0, 5).map((pair) => ({ ...pair, distance: round(pair.distance) })) },
    secondCopy: { ...stats(copies), flagged: caught(copies) },
    nearestSamePerson: { ...stats(nearestSame), flagged: caught(nearestSame) },
    differentFlagged: caught(different.map((pair) => pair.distance)),
  }
}

const { values } = parseArgs({ options: { set: { type: 'string', multiple: true } } })
const sets = values.set ?? [path.join(appRoot, 'tests/fixtures/verification'), path.join(appRoot, 'tests/fixtures/faces/people')]
const runtime = await nodeFaceRuntime()
const report: Record<string, Awaited<ReturnType<typeof measure>>> = {}
for (const set of sets) {
  const result = await measure(runtime, await readPhotoSet(set))
  report[path.relative(appRoot, set)] = result
  console.log(`\n${path.relative(appRoot, set)}: ${result.usable} of ${result.photos} photos usable; flag below ${lookAlikeDistance}`)
  console.log(`  different people, ${result.differentPeople.count} pairs: min ${result.differentPeople.min}, 1st percentile ${result.differentPeople.p1}, median ${result.differentPeople.median}; flagged ${result.differentFlagged}`)
  for (const pair of result.differentPeople.closest) console.log(`    ${pair.a} ↔ ${pair.b}: ${pair.distance}`)
  console.log(`  a second copy of the same photo, ${result.secondCopy.count}: median ${result.secondCopy.median}, max ${result.secondCopy.max}; flagged ${result.secondCopy.flagged}`)
  console.log(`  nearest other photo of the same person, ${result.nearestSamePerson.count}: median ${result.nearestSamePerson.median}, max ${result.nearestSamePerson.max}; flagged ${result.nearestSamePerson.flagged}`)
}
const out = path.join(appRoot, 'bench/results/look-alike.json')
await mkdir(path.dirname(out), { recursive: true })
await writeFile(out, `${JSON.stringify({ lookAlikeDistance, sets: report }, null, 2)}\n`)
console.log(`\nWrote ${path.relative(appRoot, out)}`)
