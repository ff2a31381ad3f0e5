// `npm run eval:video -- [--fps N] [--helper-ms N]`: live recognition on every frame of the fixture clip,
// in Node with the app's own code (LiveTracker on face-api's networks, as the Recognize page runs it). The
// page's workers are modelled in clip time: the schedule's detections and the descriptors of faces that
// can wait come back from the helper --helper-ms after they are sent, and young and unknown faces' votes
// on the next frame, computed after theirs (0: everything in its own frame, as in the page itself). The clip's people are enrolled from their fixture photos. For each frame it checks what is shown:
// - identity: a name on a face that the face's own descriptors since the last cut never gave is an
//   error, and so is a name that the face's own descriptor in that very frame would give to someone else
//   (its nearest person, within the threshold): both must be 0. A frame whose own descriptor names no one
//   (nearest someone else past the threshold, or none: a blurred or turned face) is counted apart;
// - boxes: the tracked boxes of frames the detector skipped, against a full detection of that frame;
// - time to a box: how long, in clip time, a face the full detector can find waits for a shown box;
// - how many frames name Lin-Manuel Miranda, how often the detector ran and why tracks were dropped.
// Then the same with each person left out, so that their own face is a stranger's.
import { execFileSync } from 'node:child_process'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { appRoot } from '../api/paths.js'
import { normalizePhoto } from '../api/photos/image.js'
import { enrollFace } from '../shared/face/enroll.js'
import { LiveTracker, type BoxesLater, type DescriptorsLater, type DropReason, type LiveOps } from '../shared/face/live.js'
import { faceApiLiveOps } from '../shared/face/live-ops.js'
import { createGalleryFromVectors, defaultDecisionRule, matchDescriptor, type Gallery } from '../shared/face/match.js'
import type { Box } from '../shared/face/model.js'
import { iou } from '../shared/face/tracking.js'
import { quantile } from '../shared/stats.js'
import { decodePhoto, nodeFaceRuntime } from '../api/faces/node-runtime.js'

const facesDir = path.join(appRoot, 'tests', 'fixtures', 'faces')
const clip = path.join(facesDir, 'video/short_hamilton_clip.mp4')
const enrollment: Record<string, string[]> = {
  lin_manuel_miranda: ['people/lin_manuel_miranda/lin-manuel-miranda.png'],
  barack_obama: ['people/barack_obama/obama.jpg', 'people/barack_obama/obama1.jpg', 'people/barack_obama/obama2.jpg', 'people/barack_obama/obama_small.jpg'],
}

const median = (values: number[]) => (values.length ? [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]! : NaN)

interface Run {
  frames: number
  detectorFrames: number
  /** Of those, the frames sent to the helper to be detected. */
  detectorFramesSent: number
  cuts: number
  /** Frames showing a name the face's own descriptors since the cut never gave. */
  notFromOwnDescriptors: number
  /**
   * Frames showing a name whose face's own descriptor, in that frame, is nearest someone else: within the
   * rule's threshold (it names them), or past it (it names no one: a blurred or turned face).
   */
  nearestSomeoneElse: number
  nearestSomeoneElseFar: number
  namedFrames: Record<string, number>
  trackedIoU: number[]
  /** For each face the detector can find, ms of clip time until a shown box overlaps it. */
  boxedAfterMs: number[]
  /** Faces the detector found that went out of its reach before any shown box covered them. */
  neverBoxed: number
  drops: Partial<Record<DropReason, number>>
  labels: string[]
}

/** Overlap at which a shown box covers a detected face. */
const boxOverlap = 0.3

/**
 * The page's workers in clip time. The helper (the second worker): a request is computed when it is sent
 * and handed back `latencyMs` after it was sent, or after the request before it if that is later (one
 * worker takes them in turn); with two waiting it takes no more, as browser/live/helper-client.ts. The
 * descriptors the recognition worker computes after a frame come back before the next. With `latencyMs`
 * 0, neither: everything is computed in its frame, as in the page. `advance` moves the clock before each frame.
 */
function modelHelper<Image>(ops: LiveOps<Image>, latencyMs: number) {
  let clock = 0
  let lastDoneAt = -Infinity
  let waiting: { doneAt: number; afterFrame: boolean; release: () => void; answer: Promise<unknown> }[] = []
  /** Computes now what is sent; its answer comes later. Null where nothing takes it now. */
  function send<T>(compute: () => Promise<T>, afterFrame = false): Promise<{ later: Promise<T> }> | null {
    if (latencyMs <= 0 || (!afterFrame && waiting.filter((entry) => !entry.afterFrame).length >= 2)) return null
    const doneAt = afterFrame ? clock : Math.max(clock, lastDoneAt) + latencyMs
    if (!afterFrame) lastDoneAt = doneAt
    const entry = { doneAt, afterFrame, release: () => {}, answer: Promise.resolve<unknown>(null) }
    waiting.push(entry)
    return compute().then((computed) => {
      const later = new Promise<T>((resolve) => (entry.release = () => resolve(computed)))
      entry.answer = later
      return { later }
    })
  }
  const withHelper: LiveOps<Image> = {
    ...ops,
    describeElsewhere: (image, fits) => send(() => ops.describe(image, fits))?.then(({ later }): DescriptorsLater => ({ descriptors: later })) ?? null,
    detectElsewhere: (image) => send(() => ops.detect(image))?.then(({ later }): BoxesLater => ({ boxes: later })) ?? null,
    describeAfterFrame: (image, fits) => send(() => ops.describe(image, fits), true)?.then(({ later }): DescriptorsLater => ({ descriptors: later })) ?? null,
  }
  return {
    ops: withHelper,
    async advance(now: number): Promise<void> {
      clock = now
      const done = waiting.filter((entry) => entry.doneAt <= now)
      waiting = waiting.filter((entry) => entry.doneAt > now)
      for (const entry of done) entry.release()
      // What arrives is taken in before the frame, as a worker's reply is: the tracker's handlers, attached
      // first, have run once these have resolved.
      await Promise.all(done.map(({ answer }) => answer))
    },
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: { fps: { type: 'string', default: '15' }, 'helper-ms': { type: 'string', default: '100' } },
  })
  const fps = Number(values.fps)
  if (!(fps > 0 && fps <= 30)) throw new Error('--fps is between 1 and 30')
  const helperMs = Number(values['helper-ms'])
  if (!(helperMs >= 0)) throw new Error('--helper-ms is a number of milliseconds, 0 or more')
  const runtime = await nodeFaceRuntime()
  const ops = faceApiLiveOps(runtime)
  const enrolled: { name: string; descriptor: Float32Array }[] = []
  for (const [name, photos] of Object.entries(enrollment)) {
    for (const photo of photos) {
      const image = await decodePhoto(await normalizePhoto(await readFile(path.join(facesDir, photo)), photo))
      const result = await enrollFace(runtime, image)
      image.dispose()
      if (result.ok) enrolled.push({ name, descriptor: result.descriptor })
    }
  }
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'facer-frames-'))
  try {
    execFileSync('ffmpeg', ['-loglevel', 'error', '-i', clip, '-vf', `fps=${fps}`, path.join(scratch, 'frame-%04d.png')])
    const files = (await readdir(scratch)).sort()
    const images: Awaited<ReturnType<typeof decodePhoto>>[] = []
    for (const file of files) images.push(await decodePhoto(path.join(scratch, file)))
    const rule = defaultDecisionRule
    console.log(
      `${files.length} frames at ${fps} fps; rule: threshold ${rule.threshold}, agreement up to ${(rule.threshold + rule.agreement).toFixed(2)}; ` +
        (helperMs > 0 ? `detections and descriptors that can wait come back ${helperMs} ms after they are sent` : 'everything in its own frame'),
    )

    // Fit constants: the raw landmark box against the detector's box, on every detection of the clip.
    const fitRatios = { left: [] as number[], top: [] as number[], width: [] as number[], height: [] as number[] }

    const evaluate = async (gallery: Gallery): Promise<Run> => {
      const helper = modelHelper(ops, helperMs)
      const tracker = new LiveTracker(helper.ops)
      const run: Run = { frames: 0, detectorFrames: 0, detectorFramesSent: 0, cuts: 0, notFromOwnDescriptors: 0, nearestSomeoneElse: 0, nearestSomeoneElseFar: 0, namedFrames: {}, trackedIoU: [], boxedAfterMs: [], neverBoxed: 0, drops: {}, labels: [] }
      /** Detectable faces no shown box covers yet, with the clip time each was first detectable. */
      let waiting: { box: Box; since: number }[] = []
      /** Detected faces a shown box covered in the frame before: already boxed, not new. */
      let covered: Box[] = []
      const given = new Map<number, Set<string>>()
      for (const [index, image] of images.entries()) {
        const now = (index * 1000) / fps
        await helper.advance(now)
        const step = await tracker.step(image, now, gallery, rule)
        run.frames++
        if (step.detected || step.detectionSent) run.detectorFrames++
        if (step.detectionSent) run.detectorFramesSent++
        if (step.cut && index > 0) run.cuts++
        for (const { reason } of step.dropped) run.drops[reason] = (run.drops[reason] ?? 0) + 1
        const named = step.faces.filter((face) => face.name)
        for (const face of step.faces) {
          const names = given.get(face.id) ?? new Set<string>()
          const decision = face.decision
          if (decision?.name) names.add(decision.name)
          if (decision?.tentative) names.add(decision.tentative)
          given.set(face.id, names)
        }
        let wrongOwn = false
        let wrongNearest: 'near' | 'far' | null = null
        if (named.length) {
          const fits = await ops.fit(image, named.map((face) => face.box))
          const fitted = fits.filter((fit) => fit !== null)
          const descriptors = await ops.describe(image, fitted)
          named.forEach((face, position) => {
            if (!given.get(face.id)!.has(face.name!)) wrongOwn = true
            const fit = fits[position]
            const descriptor = fit ? descriptors[fitted.indexOf(fit)] : null
            const nearest = descriptor ? matchDescriptor(gallery, descriptor)[0] : undefined
            if (nearest?.name === face.name) return
            if (nearest && nearest.distance < rule.threshold) wrongNearest = 'near'
            else wrongNearest ??= 'far'
          })
        }
        if (wrongOwn) run.notFromOwnDescriptors++
        if (wrongNearest === 'near') run.nearestSomeoneElse++
        if (wrongNearest === 'far') run.nearestSomeoneElseFar++
        for (const face of named) run.namedFrames[face.name!] = (run.namedFrames[face.name!] ?? 0) + 1
        const label = step.faces.map((face) => face.name ?? 'unknown').join(',') || '-'
        if (run.labels.at(-1)?.split(': ')[1] !== label) run.labels.push(`${index}: ${label}`)
        const detections = await ops.detect(image)
        if (!step.detected) for (const face of step.faces) run.trackedIoU.push(Math.max(0, ...detections.map((box) => iou(box, face.box))))
        // Time to a box: a face the full detector finds here, and no shown box covers, waits from the first
        // frame it was findable (the same face in the frame before: overlapping boxes).
        const stillWaiting: typeof waiting = []
        const coveredNow: Box[] = []
        for (const box of detections) {
          const before = waiting.find((entry) => iou(entry.box, box) >= boxOverlap)
          const since = before?.since ?? now
          if (step.faces.some((face) => iou(face.box, box) >= boxOverlap)) {
            if (before || !covered.some((old) => iou(old, box) >= boxOverlap)) run.boxedAfterMs.push(now - since)
            coveredNow.push(box)
          } else stillWaiting.push({ box, since })
        }
        covered = coveredNow
        run.neverBoxed += waiting.filter((entry) => !detections.some((box) => iou(entry.box, box) >= boxOverlap)).length
        waiting = stillWaiting
      }
      return run
    }

    for (const image of images.filter((_, index) => index % 3 === 0)) {
      const detections = await ops.detect(image)
      const fits = await ops.fit(image, detections)
      detections.forEach((box, index) => {
        const points = fits[index]?.landmarks
        if (!points) return
        const xs = points.map((point) => point.x)
        const ys = points.map((point) => point.y)
        const [minX, maxX, minY, maxY] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)]
        fitRatios.left.push((minX - box.x) / (maxX - minX))
        fitRatios.top.push((minY - box.y) / (maxY - minY))
        fitRatios.width.push(box.width / (maxX - minX))
        fitRatios.height.push(box.height / (maxY - minY))
      })
    }
    const ratio = (values: number[]) => median(values).toFixed(2)
    console.log(
      `Detector box from the landmark box (medians of ${fitRatios.width.length} detections): starts ${ratio(fitRatios.left)} of its width ` +
        `and ${ratio(fitRatios.top)} of its height before it, ${ratio(fitRatios.width)} times as wide and ${ratio(fitRatios.height)} times as tall`,
    )

    for (const leftOut of [null, ...Object.keys(enrollment)]) {
      const run = await evaluate(createGalleryFromVectors(enrolled.filter(({ name }) => name !== leftOut)))
      console.log(`\n${leftOut ? `${leftOut} left out (a stranger now)` : 'everyone enrolled'}:`)
      console.log(`  ${run.frames} frames, the detector ran on ${run.detectorFrames} (${((100 * run.detectorFrames) / run.frames).toFixed(0)}%; ${run.detectorFramesSent} sent to the helper), ${run.cuts} cuts seen`)
      console.log(`  frames with a name the face's own descriptors since the cut never gave: ${run.notFromOwnDescriptors}`)
      console.log(
        `  frames with a name whose face's own descriptor in that frame is nearest someone else: ${run.nearestSomeoneElse} within the threshold, ` +
          `${run.nearestSomeoneElseFar} past it (naming no one)`,
      )
      console.log(`  frames naming each person: ${JSON.stringify(run.namedFrames)}`)
      console.log(
        `  tracked boxes against a full detection of the same frame: median IoU ${median(run.trackedIoU).toFixed(2)}, ` +
          `p10 ${(quantile(run.trackedIoU, 0.1) ?? NaN).toFixed(2)} (${run.trackedIoU.length} boxes)`,
      )
      const waits = run.boxedAfterMs.filter((ms) => ms > 0)
      console.log(
        `  a face the detector can find is boxed (clip time: the schedule's share and the helper's round trip; the page adds a detection's own time here): ` +
          `${run.boxedAfterMs.length - waits.length} of ${run.boxedAfterMs.length} on their first findable frame, the others after median ${median(waits).toFixed(0)} ms, max ${Math.max(0, ...waits).toFixed(0)} ms ` +
          `(${waits.length} waits); ${run.neverBoxed} left the detector's reach unboxed`,
      )
      console.log(`  tracks dropped: ${JSON.stringify(run.drops)}`)
      console.log(`  what was shown, from frame: ${run.labels.join(' | ')}`)
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
