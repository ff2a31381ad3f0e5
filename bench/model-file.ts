// `npm run bench:model-file [-- --sizes 10000,100000 --reference-sizes 10000 --repeat 3]`: the face model file at 10,000 and
// 100,000 descriptors: bytes per descriptor, and the time to load and parse it as the app does
// (read, JSON.parse, the zod schema, then every descriptor decoded into the matcher's gallery),
// beside face-api's own JSON (FaceMatcher.toJSON / fromJSON) and the reference app's faces.json
// (descriptors as {"0": …} objects, which the app imports). Prints a table, writes
// bench/results/model-file.json. The reference app's form takes over a minute at 100,000 (315 MB of
// JSON): by default it is measured at 10,000 only.
import { createHash } from 'node:crypto'
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { descriptorLength, encodeDescriptor } from '../shared/face/descriptor.js'
import { createGallery, createGalleryFromVectors } from '../shared/face/match.js'
import { currentModelVersion, LegacyFaceModelSchema, parseAnyModel, type FaceModel } from '../shared/face/model.js'
import { seededRandom } from '../tests/support/random.js'
import { describeMachine, recordMachine } from './lib/machine.js'
import { median, round, writeResults } from './lib/results.js'

const { values: args } = parseArgs({
  options: {
    sizes: { type: 'string', default: '10000,100000' },
    'reference-sizes': { type: 'string', default: '10000' },
    repeat: { type: 'string', default: '3' },
  },
})
const sizes = args.sizes!.split(',').map(Number)
const referenceSizes = args['reference-sizes']!.split(',').map(Number)
const repeat = Number(args.repeat)
const perPerson = 100

type FaceApi = typeof import('@vladmandic/face-api/dist/face-api.node-wasm.js')

function makeVectors(count: number): Float32Array[][] {
  const random = seededRandom(count)
  return Array.from({ length: count / perPerson }, () =>
    Array.from({ length: perPerson }, () => Float32Array.from({ length: descriptorLength }, () => (random() - 0.5) / 2)),
  )
}

/** As the app stores it: photo names, hashes and boxes as training writes them. */
function appModel(vectors: Float32Array[][]): FaceModel {
  return {
    version: currentModelVersion,
    generation: 1,
    updatedAt: new Date(0).toISOString(),
    people: vectors.map((descriptors, person) => ({
      name: `person-${person}`,
      rejected: [],
      descriptors: descriptors.map((descriptor, index) => ({
        photo: `m0${(1_700_000_000_000 + index).toString(36)}-${createHash('sha256').update(`${person}/${index}`).digest('hex').slice(0, 8)}.jpg`,
        hash: createHash('sha256').update(`${person}:${index}`).digest('hex'),
        detector: 'ssd_mobilenetv1' as const,
        box: { x: 96, y: 58, width: 131, height: 131 },
        descriptor: encodeDescriptor(descriptor),
      })),
    })),
  }
}

/** The reference app's file: a Float32Array through JSON.stringify becomes {"0": …, "127": …}. */
const legacyModel = (vectors: Float32Array[][]) =>
  vectors.map((descriptors, person) => ({ user: `person-${person}`, descriptors: descriptors.map((descriptor, index) => ({ path: `${index}.jpg`, descriptor })) }))

interface Format {
  name: string
  /** Whether this format is measured at a size. */
  at(size: number): boolean
  write(vectors: Float32Array[][], faceapi: FaceApi): string
  /** Everything between the file on disk and descriptors ready to match; resolves with the steps' times. */
  load(file: string, faceapi: FaceApi): Promise<Record<string, number>>
}

async function timed<T>(steps: Record<string, number>, step: string, work: () => T | Promise<T>): Promise<T> {
  const started = performance.now()
  const value = await work()
  steps[step] = performance.now() - started
  return value
}

const formats: Format[] = [
  {
    name: 'app faces.json (base64)',
    at: () => true,
    write: (vectors) => JSON.stringify(appModel(vectors)),
    async load(file) {
      const steps: Record<string, number> = {}
      const text = await timed(steps, 'read', () => readFile(file, 'utf8'))
      const json = await timed(steps, 'JSON.parse', () => JSON.parse(text) as unknown)
      const model = await timed(steps, 'schema', () => {
        const parsed = parseAnyModel(json)
        if (!parsed.success) throw new Error(parsed.error.message)
        return parsed.data
      })
      await timed(steps, 'decode', () => createGallery(model))
      return steps
    },
  },
  {
    name: 'face-api FaceMatcher.toJSON',
    at: () => true,
    write: (vectors, faceapi) =>
      JSON.stringify(new faceapi.FaceMatcher(vectors.map((descriptors, person) => new faceapi.LabeledFaceDescriptors(`person-${person}`, descriptors))).toJSON()),
    async load(file, faceapi) {
      const steps: Record<string, number> = {}
      const text = await timed(steps, 'read', () => readFile(file, 'utf8'))
      const json = await timed(steps, 'JSON.parse', () => JSON.parse(text) as unknown)
      await timed(steps, 'decode', () => faceapi.FaceMatcher.fromJSON(json as Parameters<FaceApi['FaceMatcher']['fromJSON']>[0]))
      return steps
    },
  },
  {
    name: 'reference app faces.json ({"0": …})',
    at: (size) => referenceSizes.includes(size),
    write: (vectors) => JSON.stringify(legacyModel(vectors)),
    async load(file) {
      const steps: Record<string, number> = {}
      const text = await timed(steps, 'read', () => readFile(file, 'utf8'))
      const json = await timed(steps, 'JSON.parse', () => JSON.parse(text) as unknown)
      const legacy = await timed(steps, 'schema', () => LegacyFaceModelSchema.parse(json))
      await timed(steps, 'decode', () =>
        createGalleryFromVectors(legacy.flatMap((person) => person.descriptors.map((entry) => ({ name: person.user, descriptor: entry.descriptor })))),
      )
      return steps
    },
  },
]

const run = recordMachine()
const faceapi = await import('@vladmandic/face-api/dist/face-api.node-wasm.js')
const scratch = await mkdtemp(path.join(os.tmpdir(), 'facer-bench-model-'))
const results = []
try {
  for (const size of sizes) {
    const vectors = makeVectors(size)
    for (const format of formats.filter((candidate) => candidate.at(size))) {
      const file = path.join(scratch, `${size}.json`)
      await writeFile(file, format.write(vectors, faceapi))
      const bytes = (await stat(file)).size
      const runs: Record<string, number>[] = []
      for (let index = 0; index < repeat; index++) runs.push(await format.load(file, faceapi))
      const steps = Object.fromEntries(Object.keys(runs[0]!).map((step) => [step, round(median(runs.map((timing) => timing[step]!)), 0)]))
      const totalMs = round(median(runs.map((timing) => Object.values(timing).reduce((sum, ms) => sum + ms, 0))), 0)
      results.push({ descriptors: size, format: format.name, bytes, bytesPerDescriptor: Math.round(bytes / size), totalMs, steps })
      console.log(`  ${size} ${format.name}: ${(bytes / 1024 / 1024).toFixed(1)} MiB, ${totalMs} ms`)
      await rm(file)
    }
  }
} finally {
  await rm(scratch, { recursive: true, force: true })
}
console.log(`\nThe face model file: size, and load + parse (median of ${repeat}, ms)`)
console.table(
  results.map((result) => ({
    descriptors: result.descriptors,
    format: result.format,
    MiB: round(result.bytes / 1024 / 1024, 1),
    'bytes/descriptor': result.bytesPerDescriptor,
    'load+parse ms': result.totalMs,
    ...result.steps,
  })),
)
const machine = run.finish()
if (!machine.quiet) console.log(`  The machine was busy at the start (${describeMachine(machine)}): rerun when it is quiet.`)
await writeResults('model-file', machine, { settings: { sizes, referenceSizes, repeat, perPerson }, results })
