// `npm run bench:framing`: what face-aware framing costs an upload. In one process, as the server runs it:
// the memory that loading face-api and its networks adds (RSS, before and after the first upload), the time
// of each fixture photo's preparePhoto (decode, face search on a copy at most 1024 px across, frame, JPEG)
// against the whole-picture fit alone, and the face size in the stored photo, framed and fitted whole.
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import sharp from 'sharp'
import { preparePhoto } from '../api/photos/image.js'
import { storedHeight, storedWidth } from '../shared/photos/limits.js'
import { decodePhoto, nodeFaceRuntime } from '../api/faces/node-runtime.js'
import { enrollDefaults, enrollFace } from '../shared/face/enroll.js'
import { facesDir } from '../tests/support/data.js'
import { recordMachine } from './lib/machine.js'
import { median, round, writeResults } from './lib/results.js'

const manifest = JSON.parse(await readFile(path.join(facesDir, 'manifest.json'), 'utf8')) as { people: Record<string, string[]> }
const photos = Object.values(manifest.people).flat()
const megabytes = (bytes: number) => round(bytes / 1024 / 1024)

const run = recordMachine()
const rssBefore = process.memoryUsage().rss
const wholeFit = (bytes: Buffer) =>
  sharp(bytes).rotate().resize(storedWidth, storedHeight, { fit: 'contain', background: { r: 0, g: 0, b: 0 } }).flatten({ background: { r: 0, g: 0, b: 0 } }).jpeg({ quality: 90 }).toBuffer()

const rows: { photo: string; framedMs: number; wholeMs: number; framing: string; framedFace: number | null; wholeFace: number | null }[] = []
let rssAfterFirst = 0
for (const photo of photos) {
  const bytes = await readFile(path.join(facesDir, photo))
  let startedAt = performance.now()
  const prepared = await preparePhoto(bytes, photo)
  const framedMs = performance.now() - startedAt
  rssAfterFirst ||= process.memoryUsage().rss
  startedAt = performance.now()
  const whole = await wholeFit(bytes)
  const wholeMs = performance.now() - startedAt
  const faceIn = async (stored: Buffer) => {
    const image = await decodePhoto(stored)
    const result = await enrollFace(await nodeFaceRuntime(), image, { ...enrollDefaults, minSharpness: 0, minFaceSize: 0 }).finally(() => image.dispose())
    return result.ok ? Math.min(result.box.width, result.box.height) : null
  }
  rows.push({ photo, framedMs, wholeMs, framing: prepared.framing, framedFace: await faceIn(prepared.bytes), wholeFace: await faceIn(whole) })
}
// The first upload loads the networks: its time is the start-up cost, not an upload's.
const [first, ...rest] = rows
const faces = (pick: (row: (typeof rows)[number]) => number | null) => rows.map(pick).filter((side): side is number => side !== null)
const figures = {
  photos: rows.length,
  firstUploadMs: round(first!.framedMs),
  framedMedianMs: round(median(rest.map((row) => row.framedMs))),
  wholeFitMedianMs: round(median(rest.map((row) => row.wholeMs))),
  rssBeforeMb: megabytes(rssBefore),
  rssAfterFirstUploadMb: megabytes(rssAfterFirst),
  rssAfterAllMb: megabytes(process.memoryUsage().rss),
  medianFaceFramed: median(faces((row) => row.framedFace)),
  medianFaceWhole: median(faces((row) => row.wholeFace)),
  rows: rows.map((row) => ({ ...row, framedMs: round(row.framedMs), wholeMs: round(row.wholeMs) })),
}
console.log('photo'.padEnd(52), 'framed ms', 'whole ms', 'face framed', 'face whole')
for (const row of figures.rows) console.log(row.photo.padEnd(52), String(row.framedMs).padStart(9), String(row.wholeMs).padStart(8), String(row.framedFace ?? '-').padStart(11), String(row.wholeFace ?? '-').padStart(10))
console.log(`\nFirst upload (loads the networks): ${figures.firstUploadMs} ms; then median ${figures.framedMedianMs} ms framed, ${figures.wholeFitMedianMs} ms fitted whole`)
console.log(`RSS: ${figures.rssBeforeMb} MB before, ${figures.rssAfterFirstUploadMb} MB after the first upload, ${figures.rssAfterAllMb} MB after all`)
console.log(`Median face in the stored photo (shorter side of SSD's box): ${figures.medianFaceFramed} px framed, ${figures.medianFaceWhole} px fitted whole`)
await writeResults('framing', run.finish(), figures)
