// `npm run eval:video -- [--fps N] [--detector tiny_face_detector|ssd_mobilenetv1]`: the live decision
// rule on the fixture video, in Node with the app's own code (recognizeFaces, assignFaces, FaceTracker).
// The clip's people are enrolled from their fixture photos; every tracked face is then reported with
// its frames' distances and the label the tracker gave it, first with everyone enrolled, then with each
// person left out, so that their own face is a stranger's.
import { execFileSync } from 'node:child_process'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { appRoot } from '../api/paths.js'
import { normalisePhoto } from '../api/photos/image.js'
import { enrolFace } from '../shared/face/enrol.js'
import { createGalleryFromVectors, defaultDecisionRule } from '../shared/face/match.js'
import { recognizeFaces } from '../shared/face/recognize.js'
import { FaceTracker } from '../shared/face/tracking.js'
import { decodePhoto, nodeFaceRuntime } from './lib/node-face.js'

const facesDir = path.join(appRoot, 'tests', 'fixtures', 'faces')
const clip = path.join(facesDir, 'video/short_hamilton_clip.mp4')
const enrolment: Record<string, string[]> = {
  lin_manuel_miranda: ['people/lin_manuel_miranda/lin-manuel-miranda.png'],
  barack_obama: ['people/barack_obama/obama.jpg', 'people/barack_obama/obama1.jpg', 'people/barack_obama/obama2.jpg', 'people/barack_obama/obama_small.jpg'],
}

interface TrackReport {
  id: number
  frames: number
  /** The labels the tracker showed, in order, each once. */
  labels: string[]
  nearest: string[]
  /** The nearest distance in each frame that got a descriptor. */
  distances: number[]
  /** Frames whose descriptor was skipped: the face had barely moved. */
  reused: number
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: { fps: { type: 'string', default: '8' }, detector: { type: 'string', default: 'tiny_face_detector' } },
  })
  const fps = Number(values.fps)
  // SSD MobileNet finds more of the audience's small turned faces than the live detector, at 4 times the cost.
  const detectors = ['tiny_face_detector', 'ssd_mobilenetv1'] as const
  const detector = detectors.find((name) => name === values.detector)
  if (!detector) throw new Error(`--detector must be one of ${detectors.join(', ')}`)
  const runtime = await nodeFaceRuntime()
  const enrolled: { name: string; descriptor: Float32Array }[] = []
  for (const [name, photos] of Object.entries(enrolment)) {
    for (const photo of photos) {
      const image = await decodePhoto(await normalisePhoto(await readFile(path.join(facesDir, photo)), photo))
      const result = await enrolFace(runtime, image)
      image.dispose()
      if (result.ok) enrolled.push({ name, descriptor: result.descriptor })
    }
  }
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'facer-frames-'))
  try {
    execFileSync('ffmpeg', ['-loglevel', 'error', '-i', clip, '-vf', `fps=${fps}`, path.join(scratch, 'frame-%04d.png')])
    const frames = (await readdir(scratch)).sort()
    const images = []
    for (const frame of frames) images.push(await decodePhoto(path.join(scratch, frame)))
    console.log(`${frames.length} frames at ${fps} fps, ${detector}; rule: threshold ${defaultDecisionRule.threshold}, agreement up to ${(defaultDecisionRule.threshold + defaultDecisionRule.agreement).toFixed(2)}`)
    for (const leftOut of [null, ...Object.keys(enrolment)]) {
      const gallery = createGalleryFromVectors(enrolled.filter(({ name }) => name !== leftOut))
      const tracker = new FaceTracker()
      const tracks = new Map<number, TrackReport>()
      for (const [index, image] of images.entries()) {
        // As the Recognize page does: a tracked face that has barely moved keeps its decision.
        const faces = await recognizeFaces(
          runtime,
          image,
          gallery,
          defaultDecisionRule,
          { detector, recognition: true, landmarks: false, expressions: false },
          (box) => tracker.needsDescriptor(box),
        )
        const tracked = tracker.update(faces.map(({ box, decision, described }) => ({ box, decision: described ? decision : null })), index)
        tracked.forEach((track, face) => {
          const report = tracks.get(track.id) ?? { id: track.id, frames: 0, labels: [], nearest: [], distances: [], reused: 0 }
          const label = track.name ?? 'unknown'
          if (report.labels.at(-1) !== label) report.labels.push(label)
          const { decision, described } = faces[face]!
          if (!described) report.reused++
          report.nearest.push(decision.name ?? decision.tentative ?? '-')
          if (described) report.distances.push(decision.distance ?? Infinity)
          report.frames++
          tracks.set(track.id, report)
        })
      }
      console.log(`\n${leftOut ? `${leftOut} left out (a stranger now)` : 'everyone enrolled'}:`)
      for (const track of tracks.values()) {
        const shown = track.distances.map((distance) => distance.toFixed(2)).join(' ')
        console.log(`  track ${track.id}: ${track.frames} frames (${track.reused} kept their decision), shown ${track.labels.join(' → ')}; nearest distances ${shown}`)
      }
    }
    for (const image of images) image.dispose()
  } finally {
    await rm(scratch, { recursive: true, force: true })
  }
}

try {
  await main()
} catch (err) {
  console.error(err instanceof Error ? err.stack : err)
  process.exitCode = 1
}
