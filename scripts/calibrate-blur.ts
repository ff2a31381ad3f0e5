// `npm run calibrate:blur [-- --set DIR]… [--json]`: where enrollment's blur check (`faceSharpness`, minSharpness) should
// sit. Every labeled photo of the fixtures (tests/fixtures/faces/people and tests/fixtures/verification)
// is stored as the app stores it, then:
// - blurred synthetically, a Gaussian whose sigma is a share of the face's width, and each blurred copy's
//   sharpness and identity measured: the distance from its descriptor to the person's unblurred photos,
//   and whether the app's rule (nearest below 0.5) still names the person among everyone's unblurred photos;
// - reduced so that its face is 48 or 64 px across in a 320x247 webcam-sized frame (JPEG quality 75),
//   unblurred: these are the ordinary webcam frames that must pass.
// Prints the tables and the threshold chosen; writes every figure to bench/results/blur-calibration.json.
import { mkdir, writeFile } from 'node:fs/promises'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { parseArgs } from 'node:util'
import sharp from 'sharp'
import { appRoot } from '../api/paths.js'
import { normalizePhoto } from '../api/photos/image.js'
import { storedHeight, storedWidth } from '../shared/photos/limits.js'
import { euclideanDistance } from '../shared/face/descriptor.js'
import { enrollDefaults, enrollFace, type EnrollOptions } from '../shared/face/enroll.js'
import { defaultDecisionRule } from '../shared/face/match.js'
import { decodePhoto, nodeFaceRuntime } from '../api/faces/node-runtime.js'
import { readPhotoSet, type LabeledPhoto } from './lib/photo-sets.js'

/** Gaussian sigma as a share of the face's width. */
const blurShares = [0, 0.02, 0.04, 0.06]
/** Face widths of the webcam-sized frames that must pass. */
const webcamFaceSizes = [48, 64]
/** Every measurement is taken with the blur check off, so that blurred faces still give a descriptor. */
const measuring: EnrollOptions = { ...enrollDefaults, minSharpness: 0 }
/** The threshold sits this far below the least sharp unblurred face: JPEG and noise vary more than the fixtures show. */
const safety = 0.8

interface Measure {
  photo: string
  person: string
  how: string
  share: number | null
  faceSize: number
  sharpness: number
  /** Distance to the nearest of the person's other unblurred photos. */
  ownDistance: number | null
  /** Named as their own person by the app's rule, among everyone's unblurred photos (their own photo left out). */
  named: boolean | null
}

const defaultSets = ['tests/fixtures/faces/people', 'tests/fixtures/verification']
const { values } = parseArgs({ options: { json: { type: 'boolean', default: false }, set: { type: 'string', multiple: true } } })
const runtime = await nodeFaceRuntime()
const sets = (values.set ?? defaultSets).map((set) => path.resolve(appRoot, set))
const photos: LabeledPhoto[] = []
for (const folder of sets) {
  const set = await readPhotoSet(folder)
  photos.push(...set.map((photo) => ({ ...photo, key: `${path.basename(folder)}/${photo.key}`, person: `${path.basename(folder)}/${photo.person}` })))
}

async function measure(bytes: Buffer) {
  const image = await decodePhoto(bytes)
  try {
    const result = await enrollFace(runtime, image, measuring)
    return result.ok ? result : null
  } finally {
    image.dispose()
  }
}

interface Copy {
  photo: LabeledPhoto
  how: string
  share: number | null
  faceSize: number
  sharpness: number
  descriptor: Float32Array | null
}

const clean = new Map<string, Float32Array>()
const copies: Copy[] = []
const startedAt = Date.now()
for (const [index, photo] of photos.entries()) {
  const bytes = await normalizePhoto(await readFile(photo.file), photo.key)
  const face = await measure(bytes)
  if (face) {
    clean.set(photo.key, face.descriptor)
    for (const share of blurShares) {
      const sigma = share * face.box.width
      const result = sigma >= 0.3 ? await measure(await sharp(bytes).blur(sigma).jpeg({ quality: 90 }).toBuffer()) : face
      copies.push({ photo, how: `blur ${share}`, share, faceSize: face.box.width, sharpness: result?.sharpness ?? 0, descriptor: result?.descriptor ?? null })
    }
    for (const size of webcamFaceSizes) {
      const scale = size / face.box.width
      if (scale >= 1) continue
      const small = await sharp(bytes).resize(Math.round(storedWidth * scale), Math.round(storedHeight * scale)).toBuffer()
      const frame = await sharp({ create: { width: storedWidth, height: storedHeight, channels: 3, background: { r: 96, g: 96, b: 96 } } })
        .composite([{ input: small, gravity: 'center' }])
        .jpeg({ quality: 75 })
        .toBuffer()
      const result = await measure(frame)
      if (result) copies.push({ photo, how: `webcam ${size} px`, share: null, faceSize: result.box.width, sharpness: result.sharpness, descriptor: result.descriptor })
    }
  }
  console.error(`  ${index + 1}/${photos.length} photos, ${((Date.now() - startedAt) / 1000).toFixed(0)} s`)
}

function identity(photo: LabeledPhoto, descriptor: Float32Array | null): Pick<Measure, 'ownDistance' | 'named'> {
  const others = photos.filter((other) => other.key !== photo.key && clean.has(other.key))
  const own = others.filter((other) => other.person === photo.person)
  if (own.length === 0) return { ownDistance: null, named: null }
  if (!descriptor) return { ownDistance: null, named: false }
  const distance = (other: LabeledPhoto) => euclideanDistance(descriptor, clean.get(other.key)!)
  const ownDistance = Math.min(...own.map(distance))
  const nearest = others.reduce((best, other) => (distance(other) < distance(best) ? other : best))
  return { ownDistance, named: nearest.person === photo.person && distance(nearest) < defaultDecisionRule.threshold }
}

const measures: Measure[] = copies.map(({ photo, how, share, faceSize, sharpness, descriptor }) => ({
  photo: photo.key,
  person: photo.person,
  how,
  share,
  faceSize,
  sharpness,
  ...identity(photo, descriptor),
}))
console.error(`measured ${measures.length} copies, ${((Date.now() - startedAt) / 1000).toFixed(0)} s`)

const median = (numbers: number[]) => {
  const sorted = [...numbers].sort((a, b) => a - b)
  return sorted.length ? sorted[Math.floor((sorted.length - 1) / 2)]! : Number.NaN
}
const rows = [...new Set(measures.map((row) => row.how))].map((how) => {
  const of = measures.filter((row) => row.how === how)
  const judged = of.filter((row) => row.named !== null)
  return {
    how,
    copies: of.length,
    sharpness: { min: Math.min(...of.map((row) => row.sharpness)), median: median(of.map((row) => row.sharpness)), max: Math.max(...of.map((row) => row.sharpness)) },
    medianOwnDistance: median(judged.filter((row) => row.ownDistance !== null).map((row) => row.ownDistance!)),
    named: judged.filter((row) => row.named).length,
    judged: judged.length,
  }
})

// Must pass: every unblurred face, as stored and in webcam-sized frames. Identity destroyed: a blurred copy
// that the app's rule no longer names as its person, though its unblurred photo is named.
const mustPass = measures.filter((row) => row.share === 0 || row.share === null)
const lowestSharp = Math.min(...mustPass.map((row) => row.sharpness))
const threshold = Math.floor(lowestSharp * safety)
const namedUnblurred = new Set(measures.filter((row) => row.share === 0 && row.named).map((row) => row.photo))
const destroyed = measures.filter((row) => row.share !== null && row.share > 0 && namedUnblurred.has(row.photo) && !row.named)
const caught = destroyed.filter((row) => row.sharpness < threshold)
const keptNamed = measures.filter((row) => row.share !== null && row.share > 0 && row.named)
const refusedButNamed = keptNamed.filter((row) => row.sharpness < threshold)

const summary = { threshold, safety, lowestUnblurred: lowestSharp, rows, destroyed: destroyed.length, caught: caught.length, blurredStillNamed: keptNamed.length, blurredStillNamedRefused: refusedButNamed.length, measures }
await mkdir(path.join(appRoot, 'bench/results'), { recursive: true })
await writeFile(path.join(appRoot, 'bench/results/blur-calibration.json'), JSON.stringify(summary, null, 2))
if (values.json) {
  console.log(JSON.stringify(summary))
} else {
  console.log(`\n${'copy'.padEnd(16)} ${'n'.padStart(4)}  sharpness min / median / max   own distance  named`)
  for (const row of rows) {
    const { min, median: middle, max } = row.sharpness
    console.log(`${row.how.padEnd(16)} ${String(row.copies).padStart(4)}  ${min.toFixed(1).padStart(6)} / ${middle.toFixed(1).padStart(6)} / ${max.toFixed(1).padStart(6)}   ${row.medianOwnDistance.toFixed(3).padStart(12)}  ${row.named}/${row.judged}`)
  }
  console.log(`\nLeast sharp unblurred face (as stored, or in a webcam-sized frame): ${lowestSharp.toFixed(1)}`)
  console.log(`Threshold: ${threshold} (${safety} of it)`)
  console.log(`Blurred copies whose identity was lost (named unblurred, not named blurred): ${destroyed.length}, caught by the threshold: ${caught.length}`)
  console.log(`Blurred copies still named: ${keptNamed.length}, of which refused by the threshold: ${refusedButNamed.length}`)
}
