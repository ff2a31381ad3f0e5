import { describe, expect, it } from 'vitest'
import { nameFaces, type FaceNamer, type Matching } from './assign.js'
import { descriptorLength, euclideanDistance } from './descriptor.js'
import {
  appearanceSimilarity,
  defaultLiveOptions,
  frameChange,
  LiveTracker,
  type FaceFit,
  type LiveOps,
  type LiveOptions,
  type LiveStep,
} from './live.js'
import { createGalleryFromVectors, defaultDecisionRule, type Gallery } from './match.js'
import type { Box } from './model.js'
import { seededRandom } from '../../tests/support/random.js'

// A synthetic scene, deterministic: each frame is a gray level and the faces in it. A face has a box,
// a look (what its crop looks like, for the appearance check) and a descriptor (who it is). The ops
// below are what the tracker would get from face-api on such a frame.

/** A person's descriptor: a pseudo-random unit vector. Two seeds give vectors about √2 apart. */
function descriptorOf(seed: number): Float32Array {
  const next = seededRandom(seed)
  const values = Array.from({ length: descriptorLength }, () => next() - 0.5)
  const norm = Math.hypot(...values)
  return Float32Array.from(values, (value) => value / norm)
}

/** A descriptor `distance` away from `descriptor`: the same person seen another way. */
function near(descriptor: Float32Array, distance: number, seed = 1000): Float32Array {
  const direction = descriptorOf(seed)
  return descriptor.map((value, index) => value + distance * direction[index]!)
}

const appearanceLength = 256

/** What a face's crop looks like: a pseudo-random thumbnail with zero mean and unit variance. */
function appearanceOf(look: number): Float32Array {
  const next = seededRandom(look * 7919)
  const values = Array.from({ length: appearanceLength }, () => next())
  const mean = values.reduce((sum, value) => sum + value, 0) / values.length
  const deviation = Math.sqrt(values.reduce((sum, value) => sum + (value - mean) ** 2, 0) / values.length)
  return Float32Array.from(values, (value) => (value - mean) / deviation)
}

interface SceneFace {
  box: Box
  look: number
  descriptor: Float32Array
  /** false: the full detector misses this face (the landmark fit still finds it). */
  detectable: boolean
}

interface SceneFrame {
  /** The gray level of the whole frame: its signature. */
  gray: number
  faces: SceneFace[]
}

const box = (x: number, y: number, width = 100, height = 100): Box => ({ x, y, width, height })

function face(descriptor: Float32Array, where: Box, { look = 1, detectable = true }: { look?: number; detectable?: boolean } = {}): SceneFace {
  return { box: where, look, descriptor, detectable }
}

const frameOf = (faces: SceneFace[], gray = 100): SceneFrame => ({ gray, faces })
const repeat = (count: number, frame: SceneFrame): SceneFrame[] => Array<SceneFrame>(count).fill(frame)
const emptyFrame = frameOf([])

const signatureLength = 16
const landmarkCount = 68

function iouOf(a: Box, b: Box): number {
  const width = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x)
  const height = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y)
  if (width <= 0 || height <= 0) return 0
  return (width * height) / (a.width * a.height + b.width * b.height - width * height)
}

interface Calls {
  frameSignature: number
  detect: number
  /** Calls of the landmark fit, and the boxes it fitted in all. */
  fit: number
  fitted: number
  appearance: number
  describe: number
}

/** What a crop shows where no face is (or only part of one): uncorrelated with any face's look. */
const noFace = appearanceOf(-1)

/** The ops on a synthetic frame, counting the calls of each. */
function sceneOps(): { ops: LiveOps<SceneFrame>; calls: Calls; descriptorsOf: (fits: readonly FaceFit[]) => (Float32Array | null)[] } {
  const calls: Calls = { frameSignature: 0, detect: 0, fit: 0, fitted: 0, appearance: 0, describe: 0 }
  const faceOfFit = new WeakMap<FaceFit, SceneFace>()
  const ops: LiveOps<SceneFrame> = {
    async frameSignature(frame) {
      calls.frameSignature++
      return new Float32Array(signatureLength).fill(frame.gray)
    },
    async detect(frame) {
      calls.detect++
      return frame.faces.filter(({ detectable }) => detectable).map(({ box: where }) => ({ ...where }))
    },
    async fit(frame, searches) {
      calls.fit++
      calls.fitted += searches.length
      return searches.map((search) => {
        let best: SceneFace | null = null
        let bestOverlap = 0
        for (const candidate of frame.faces) {
          const overlap = iouOf(candidate.box, search)
          if (overlap > bestOverlap) [best, bestOverlap] = [candidate, overlap]
        }
        if (!best) return null
        const { x, y, width, height } = best.box
        const fit: FaceFit = {
          box: { ...best.box },
          landmarks: Array.from({ length: landmarkCount }, (_, index) => ({ x: x + (width * index) / (landmarkCount - 1), y: y + height / 2 })),
          alignedBox: { ...best.box },
          appearance: appearanceOf(best.look),
        }
        faceOfFit.set(fit, best)
        return fit
      })
    },
    async appearance(frame, boxes) {
      calls.appearance++
      // A crop shows a face's look only where it frames that face: a face that moved shows something else.
      return boxes.map((where) => {
        const framed = frame.faces.find((candidate) => iouOf(candidate.box, where) >= 0.95)
        return framed ? appearanceOf(framed.look) : noFace
      })
    },
    async describe(_, fits) {
      calls.describe++
      return descriptorsOf(fits)
    },
  }
  function descriptorsOf(fits: readonly FaceFit[]): (Float32Array | null)[] {
    return fits.map((fit) => {
      const described = faceOfFit.get(fit)
      return described ? Float32Array.from(described.descriptor) : null
    })
  }
  return { ops, calls, descriptorsOf }
}

/**
 * A second thread for descriptors, as the recognition worker's helper is: each batch is read from its
 * frame when it is sent, and handed back `afterFrames` frames later (or fails, where `fails` says so);
 * `available` false is a helper not ready yet. With `detects`, it runs the schedule's detections
 * too, handed back as late (`detectionFails` says which fail).
 */
interface ElsewhereOptions {
  afterFrames: number
  available?: (frameIndex: number) => boolean
  fails?: (batch: number) => boolean
  detects?: boolean
  detectionFails?: (detection: number) => boolean
}

/** A detection sent elsewhere: the frame it was read from, and what makes it resolve (or reject). */
interface ElsewhereDetection {
  frameIndex: number
  later: Promise<Box[]>
  settle: () => void
}

interface ElsewhereBatch {
  /** The frame it was read from, and the descriptors of that frame's faces it was sent with. */
  frameIndex: number
  descriptors: (Float32Array | null)[]
  /** What the tracker was handed, and what makes it resolve (or reject). */
  later: Promise<(Float32Array | null)[]>
  settle: () => void
}

const ann = descriptorOf(1)
const bob = descriptorOf(2)
const stranger = descriptorOf(3)
const people: Gallery = createGalleryFromVectors([
  { name: 'ann', descriptor: ann },
  { name: 'bob', descriptor: bob },
])
const looks = { ann: 1, bob: 2, stranger: 3 }

const center = box(200, 100)
const left = box(0, 100)
const right = box(400, 100)

/** About 30 frames a second, in whole milliseconds. */
const at30fps = 33

interface HarnessOptions {
  options?: Partial<LiveOptions>
  gallery?: Gallery | null
  /** Milliseconds between frames: frame i is shown at i × frameMs. */
  frameMs?: number
  elsewhere?: ElsewhereOptions
  /** Faces described after the frame they were read from (describeAfterFrame): handed back before the next frame. */
  afterFrame?: boolean
}

/** The schedule these tests count frames by: fixed here, so that a change of the defaults does not move them. */
const testSchedule: Partial<LiveOptions> = { detectEveryFrames: 6, detectEveryMs: 200, describeEveryMs: 500, describeUnknownEveryMs: 100 }

/** A tracker on the synthetic scene, with a clock that moves frameMs a frame. */

function harness({ options = {}, gallery = people, frameMs = at30fps, elsewhere, afterFrame = false }: HarnessOptions = {}) {
  const { ops, calls, descriptorsOf } = sceneOps()
  let frameIndex = 0
  /** Batches and detections sent elsewhere, in order; the ones not yet handed back are `inFlight`, each until the frame it is back on. */
  const batches: ElsewhereBatch[] = []
  const detections: ElsewhereDetection[] = []
  let inFlight: { backOn: number; later: Promise<unknown>; settle: () => void }[] = []
  if (elsewhere?.detects) {
    ops.detectElsewhere = (frame) => {
      if (elsewhere.available && !elsewhere.available(frameIndex)) return null
      const fails = elsewhere.detectionFails?.(detections.length) ?? false
      const boxes = frame.faces.filter(({ detectable }) => detectable).map(({ box: where }) => ({ ...where }))
      let settle = () => {}
      const later = new Promise<Box[]>((resolve, reject) => {
        settle = () => (fails ? reject(new Error('The detector stopped')) : resolve(boxes))
      })
      const detection = { frameIndex, later, settle }
      detections.push(detection)
      inFlight.push({ ...detection, backOn: frameIndex + elsewhere.afterFrames })
      return Promise.resolve({ boxes: later })
    }
  }
  /** Batches described after their frame, in order; the latest is handed back before the next frame. */
  const afterFrameBatches: { frameIndex: number; descriptors: (Float32Array | null)[] }[] = []
  if (afterFrame) {
    ops.describeAfterFrame = (_, fits) => {
      const descriptors = descriptorsOf(fits)
      afterFrameBatches.push({ frameIndex, descriptors })
      const later = Promise.resolve(descriptors)
      inFlight.push({ backOn: frameIndex + 1, later, settle: () => {} })
      return Promise.resolve({ descriptors: later })
    }
  }
  if (elsewhere) {
    ops.describeElsewhere = (_, fits) => {
      if (elsewhere.available && !elsewhere.available(frameIndex)) return null
      const fails = elsewhere.fails?.(batches.length) ?? false
      let settle = () => {}
      const descriptors = descriptorsOf(fits)
      const later = new Promise<(Float32Array | null)[]>((resolve, reject) => {
        settle = () => (fails ? reject(new Error('The helper stopped')) : resolve(descriptors))
      })
      const batch = { frameIndex, descriptors, later, settle }
      batches.push(batch)
      inFlight.push({ ...batch, backOn: frameIndex + elsewhere.afterFrames })
      return Promise.resolve({ descriptors: later })
    }
  }
  const tracker = new LiveTracker(ops, { ...testSchedule, ...options })
  return {
    tracker,
    calls,
    batches,
    detections,
    afterFrameBatches,
    async play(frames: readonly SceneFrame[], { galleryNow = gallery }: { galleryNow?: Matching | null } = {}): Promise<LiveStep[]> {
      const steps: LiveStep[] = []
      for (const frame of frames) {
        // What is due arrives between frames, as a worker's reply does: once each batch has settled, the
        // tracker's own handlers on it, attached first, have run.
        const due = inFlight.filter((batch) => batch.backOn <= frameIndex)
        inFlight = inFlight.filter((batch) => !due.includes(batch))
        for (const batch of due) batch.settle()
        if (due.length) await Promise.allSettled(due.map(({ later }) => later))
        steps.push(await tracker.step(frame, frameIndex * frameMs, galleryNow, defaultDecisionRule))
        frameIndex++
      }
      return steps
    },
  }
}

/** The indexes of the steps for which `predicate` holds. */
const stepsWhere = (steps: readonly LiveStep[], predicate: (step: LiveStep) => boolean): number[] =>
  steps.flatMap((step, index) => (predicate(step) ? [index] : []))

const describedSteps = (steps: readonly LiveStep[]) => stepsWhere(steps, (step) => step.faces.some(({ described }) => described))
const detectedSteps = (steps: readonly LiveStep[]) => stepsWhere(steps, (step) => step.detected)

/** Each step's faces as { id, name }. */
const shown = (steps: readonly LiveStep[]) => steps.map((step) => step.faces.map(({ id, name }) => ({ id, name })))

/** The one face of a step that shows `name`. */
function onlyFaceNamed(step: LiveStep, name: string) {
  const named = step.faces.filter((face) => face.name === name)
  expect(named).toHaveLength(1)
  return named[0]!
}

/** The one face of a step. */
function onlyFace(step: LiveStep | undefined) {
  expect(step?.faces).toHaveLength(1)
  return step!.faces[0]!
}

describe('the synthetic scene', () => {
  it('has people far apart, and looks that do not correlate', () => {
    expect(euclideanDistance(ann, bob)).toBeGreaterThan(1.2)
    expect(euclideanDistance(ann, stranger)).toBeGreaterThan(1.2)
    expect(euclideanDistance(bob, stranger)).toBeGreaterThan(1.2)
    expect(euclideanDistance(ann, near(ann, 0.3))).toBeCloseTo(0.3, 5)
    expect(appearanceSimilarity(appearanceOf(looks.ann), appearanceOf(looks.ann))).toBeCloseTo(1, 5)
    expect(Math.abs(appearanceSimilarity(appearanceOf(looks.ann), appearanceOf(looks.bob)))).toBeLessThan(0.2)
    expect(Math.abs(appearanceSimilarity(appearanceOf(looks.ann), appearanceOf(looks.stranger)))).toBeLessThan(0.2)
  })
})

describe('frameChange', () => {
  const signature = (...values: number[]) => Float32Array.from(values)

  it('is the mean absolute difference as a share of 255', () => {
    expect(frameChange(signature(10, 20, 30), signature(10, 20, 30))).toBe(0)
    expect(frameChange(signature(0, 0), signature(255, 255))).toBe(1)
    expect(frameChange(signature(0, 255, 100, 100), signature(51, 204, 100, 100))).toBe(0.1)
  })

  it('calls signatures that cannot be compared a full change', () => {
    expect(frameChange(signature(1, 2), signature(1, 2, 3))).toBe(1)
    expect(frameChange(signature(), signature())).toBe(1)
  })
})

describe('appearanceSimilarity', () => {
  it('is 1 for the same thumbnail, -1 for its negative', () => {
    const look = appearanceOf(looks.ann)
    expect(appearanceSimilarity(look, look)).toBeCloseTo(1, 5)
    expect(appearanceSimilarity(look, look.map((value) => -value))).toBeCloseTo(-1, 5)
    expect(appearanceSimilarity(Float32Array.of(1, -1), Float32Array.of(1, 1))).toBe(0)
  })

  it('is 0 for thumbnails that cannot be compared', () => {
    expect(appearanceSimilarity(Float32Array.of(1, -1), Float32Array.of(1, -1, 1))).toBe(0)
    expect(appearanceSimilarity(new Float32Array(0), new Float32Array(0))).toBe(0)
  })
})

describe('LiveTracker', () => {
  describe('scene cuts', () => {
    const grayBefore = 100
    const grayAfter = 160 // 60/255 of change: far over cutThreshold (0.07), after frames that did not change

    it.each<[string, Float32Array, string | null]>([
      ['a stranger', stranger, null],
      ['another enrolled person', bob, 'bob'],
    ])('never shows the old name after a cut to %s in the same box, looking the same', async (_, newcomer, newcomerName) => {
      const scene = harness()
      const before = repeat(4, frameOf([face(ann, center, { look: looks.ann })], grayBefore))
      const after = repeat(10, frameOf([face(newcomer, center, { look: looks.ann })], grayAfter))
      const steps = await scene.play([...before, ...after])
      const stepsBefore = steps.slice(0, before.length)
      const stepsAfter = steps.slice(before.length)
      const cutStep = stepsAfter[0]!

      expect(shown(stepsBefore)).toEqual(before.map(() => [{ id: 1, name: 'ann' }]))
      expect(cutStep).toMatchObject({ cut: true, detected: true, scene: 2, dropped: [{ id: 1, reason: 'cut' }] })
      expect(onlyFace(cutStep)).toMatchObject({ id: 2, name: newcomerName, described: true, scene: 2 })
      // Every face of every frame after the cut: the new track, never ann.
      expect(shown(stepsAfter)).toEqual(after.map(() => [{ id: 2, name: newcomerName }]))
      expect(stepsAfter.flatMap(({ faces }) => faces).filter(({ name }) => name === 'ann')).toEqual([])
    })

    it('takes a change of at least cutThreshold for a cut, and a smaller one for none', async () => {
      const scene = harness({ options: { cutThreshold: 0.2 } })
      const steps = await scene.play([
        frameOf([face(ann, center)], 100),
        frameOf([face(ann, center)], 101), // 1/255
        frameOf([face(ann, center)], 102), // 1/255
        frameOf([face(ann, center)], 150), // 48/255: under 0.2
        frameOf([face(ann, center)], 201), // 51/255: exactly 0.2, and more than twice the median change
      ])
      expect(steps.map(({ cut, scene: sceneNumber }) => ({ cut, scene: sceneNumber }))).toEqual([
        { cut: true, scene: 1 },
        { cut: false, scene: 1 },
        { cut: false, scene: 1 },
        { cut: false, scene: 1 },
        { cut: true, scene: 2 },
      ])
      const ann1 = [{ id: 1, name: 'ann' }]
      expect(shown(steps)).toEqual([ann1, ann1, ann1, ann1, [{ id: 2, name: 'ann' }]])
      expect(steps.map(({ dropped }) => dropped)).toEqual([[], [], [], [], [{ id: 1, reason: 'cut' }]])
    })

    it('takes no cut in a pan, where every frame changes as much, and one that changes cutContrast times the usual', async () => {
      const scene = harness({ options: { cutThreshold: 0.05, cutContrast: 2 } })
      // Each frame 20/255 (0.078) from the last: past cutThreshold, but like every frame before it.
      const pan = [100, 120, 140, 160, 180].map((gray) => frameOf([face(ann, center)], gray))
      const steps = await scene.play([...pan, frameOf([face(ann, center)], 220), frameOf([face(ann, center)], 140)])
      // 220 is 40/255 from 180: twice the median change. Right after a cut, 140 cannot be told from a pan.
      expect(steps.map(({ cut }) => cut)).toEqual([true, false, false, false, false, true, false])
    })

    it('starts the first frame as a new scene', async () => {
      const [first] = await harness().play([frameOf([face(ann, center)])])
      expect(first).toMatchObject({ cut: true, detected: true, scene: 1, dropped: [] })
    })
  })

  describe('another person in the same box, without a cut', () => {
    it('looks with the detector and describes the face at once when it stops looking the same: another person starts the votes again', async () => {
      const scene = harness()
      const annFrames = repeat(3, frameOf([face(ann, center, { look: looks.ann })]))
      const bobFrames = repeat(6, frameOf([face(bob, center, { look: looks.bob })]))
      const steps = await scene.play([...annFrames, ...bobFrames])
      const [swapStep] = steps.slice(annFrames.length)

      // The crop changed between detections: the detector runs in that frame and finds a face where the track was.
      expect(swapStep).toMatchObject({ cut: false, detected: true, dropped: [] })
      // Bob's own descriptor, in the frame where the crop changed: far from ann's, so ann's votes are gone.
      expect(onlyFace(swapStep)).toMatchObject({ id: 1, name: 'bob', described: true })
      expect(shown(steps.slice(annFrames.length))).toEqual(bobFrames.map(() => [{ id: 1, name: 'bob' }]))
    })

    it('ends the track when the face stops looking the same and there is no descriptor to tell by', async () => {
      const scene = harness({ gallery: null })
      const annFrames = repeat(3, frameOf([face(ann, center, { look: looks.ann })]))
      const bobFrames = repeat(3, frameOf([face(bob, center, { look: looks.bob })]))
      const steps = await scene.play([...annFrames, ...bobFrames])
      const [swapStep, nextStep] = steps.slice(annFrames.length)
      expect(swapStep).toMatchObject({ cut: false, detected: false, dropped: [{ id: 1, reason: 'appearance' }], faces: [] })
      // The lost track makes the detector run on the next frame, which finds the newcomer.
      expect(nextStep).toMatchObject({ detected: true, dropped: [] })
      expect(onlyFace(nextStep)).toMatchObject({ id: 2, name: null })
    })

    it('drops the track when its crop stops looking the same and the detector finds no face there', async () => {
      const scene = harness()
      const annFrames = repeat(3, frameOf([face(ann, center, { look: looks.ann })]))
      // The landmarks still fit something where ann was, but it looks like someone else, and it is no face the detector finds.
      const [swapStep] = await scene.play([...annFrames, frameOf([face(bob, center, { look: looks.bob, detectable: false })])]).then((steps) => steps.slice(annFrames.length))
      expect(swapStep).toMatchObject({ cut: false, detected: true, dropped: [{ id: 1, reason: 'appearance' }], faces: [] })
    })

    describe('looking the same (the worst case): the identity break', () => {
      const switchAt = 5
      const annFrames = repeat(switchAt, frameOf([face(ann, center, { look: looks.ann })]))
      // ann's track got its third vote at frame 2 (66 ms); it is due again 500 ms later, at frame 18 (594 ms),
      // which runs the detector: it is described on the next, frame 19 (627 ms).
      const reDescribedAt = 19

      it.each<[string, Float32Array, string | null]>([
        ['a stranger', stranger, null],
        ['another enrolled person, under the threshold', near(bob, 0.3), 'bob'],
      ])('shows the old name until the next description at most, then never again (%s)', async (_, newcomer, newcomerName) => {
        const scene = harness()
        const newcomerFrames = repeat(25, frameOf([face(newcomer, center, { look: looks.ann })]))
        const steps = await scene.play([...annFrames, ...newcomerFrames])
        const stepsAfterSwitch = steps.slice(switchAt)

        expect(describedSteps(steps).filter((index) => index >= switchAt)[0]).toBe(reDescribedAt)
        // So the old name stays on the newcomer for 14 frames (462 ms): less than describeEveryMs.
        expect((reDescribedAt - switchAt) * at30fps).toBeLessThanOrEqual(defaultLiveOptions.describeEveryMs)
        // The same track throughout: nothing but the descriptor tells the two people apart.
        expect(steps.flatMap(({ dropped }) => dropped)).toEqual([])
        expect(new Set(steps.flatMap(({ faces }) => faces.map(({ id }) => id)))).toEqual(new Set([1]))

        const names = steps.map((step) => onlyFace(step).name)
        expect(names.slice(0, reDescribedAt)).toEqual(Array(reDescribedAt).fill('ann'))
        expect(names.slice(reDescribedAt)).toEqual(Array(steps.length - reDescribedAt).fill(newcomerName))

        // The votes started again: a young track is described on each frame until it has minVotes.
        const { minVotes } = defaultLiveOptions
        expect(describedSteps(stepsAfterSwitch).map((index) => index + switchAt).slice(0, minVotes)).toEqual([19, 20, 21])
        const breakFace = onlyFace(steps[reDescribedAt])
        expect(breakFace.decision?.name ?? null).toBe(newcomerName)
        // The distance shown is the newcomer's own: no vote of ann's is left.
        const nearest = Math.min(euclideanDistance(newcomer, ann), euclideanDistance(newcomer, bob))
        expect(breakFace.distance).toBeCloseTo(nearest, 5)
      })

      describe('the same person turning: far from the last descriptor, still nearest the name', () => {
        // ann seen one way, then another: 0.63 apart, but the second is 0.55 from ann's enrolled descriptor.
        const facing = near(ann, 0.3, 1000)
        const turned = near(ann, 0.55, 2000)
        const turningFrames = [...repeat(switchAt, frameOf([face(facing, center, { look: looks.ann })])), ...repeat(40, frameOf([face(turned, center, { look: looks.ann })]))]

        it('is a far descriptor that would start the votes again', () => {
          expect(euclideanDistance(facing, turned)).toBeGreaterThanOrEqual(defaultLiveOptions.identityBreak)
          expect(euclideanDistance(turned, ann)).toBeLessThan(defaultLiveOptions.identityBreak)
          expect(euclideanDistance(turned, ann)).toBeLessThan(euclideanDistance(turned, bob))
        })

        it('keeps the name: the votes go on', async () => {
          const steps = await harness().play(turningFrames)
          const breakFace = onlyFace(steps[reDescribedAt])
          // Not a match on its own (0.55 is over the threshold), but no reason to doubt the name either.
          expect(breakFace).toMatchObject({ described: true, decision: { name: null, tentative: 'ann' } })
          expect(steps.map((step) => onlyFace(step).name)).toEqual(Array(steps.length).fill('ann'))
          // The next minVotes frames confirm it; then the routine check, describeEveryMs later.
          const { minVotes } = defaultLiveOptions
          const after = describedSteps(steps).filter((index) => index > reDescribedAt)
          expect(after.slice(0, minVotes)).toEqual([1, 2, 3].map((frames) => reDescribedAt + frames))
          expect(after[minVotes]).toBeGreaterThanOrEqual(reDescribedAt + minVotes + testSchedule.describeEveryMs! / at30fps)
        })

        it('confirms on the frames right after, even with another face in view: it shows a name that may not be its own', async () => {
          const bobFace = face(bob, right, { look: looks.bob })
          const steps = await harness().play([
            ...repeat(switchAt, frameOf([face(facing, center, { look: looks.ann }), bobFace])),
            ...repeat(40, frameOf([face(turned, center, { look: looks.ann }), bobFace])),
          ])
          const annDescribed = stepsWhere(steps, (step) => step.faces.some((one) => one.id === 1 && one.described)).filter((index) => index >= switchAt)
          const [breakAt] = annDescribed
          expect(annDescribed.slice(1, 1 + defaultLiveOptions.minVotes)).toEqual([1, 2, 3].map((frames) => breakAt! + frames))
          expect(steps.map((step) => step.faces.find((one) => one.id === 1)?.name)).toEqual(Array(steps.length).fill('ann'))
        })

        it('takes the name off a look-alike in the same box within a few frames: the confirming votes outnumber the old ones', async () => {
          // Nearest ann, nearer than the break, but no match even tentatively (0.59 is past the 0.58 agreement).
          const lookAlike = near(ann, 0.59, 2000)
          expect(euclideanDistance(facing, lookAlike)).toBeGreaterThanOrEqual(defaultLiveOptions.identityBreak)
          const steps = await harness().play([...turningFrames.slice(0, switchAt), ...repeat(40, frameOf([face(lookAlike, center, { look: looks.ann })]))])
          const names = steps.map((step) => onlyFace(step).name)
          const unnamedFrom = names.indexOf(null)
          // ann's votes from before the break are outvoted by the look-alike's own, described on each frame.
          expect(unnamedFrom).toBeGreaterThan(reDescribedAt)
          expect(unnamedFrom).toBeLessThanOrEqual(reDescribedAt + defaultLiveOptions.minVotes)
          expect(names.slice(unnamedFrom)).toEqual(Array(steps.length - unnamedFrom).fill(null))
        })

        it('starts the votes again where the server holds the gallery: nothing here tells whose it is', async () => {
          const namer: FaceNamer = { nameFaces: async (descriptors, rule) => nameFaces(people, descriptors, rule) }
          const steps = await harness({ gallery: null }).play(turningFrames, { galleryNow: namer })
          expect(onlyFace(steps[reDescribedAt - 1]).name).toBe('ann')
          // One tentative vote: not enough for a name; the next minVotes frames name ann again.
          expect(onlyFace(steps[reDescribedAt]).name).toBeNull()
          expect(onlyFace(steps.at(-1)).name).toBe('ann')
        })

        it('starts the votes again when the far descriptor is nearest someone else', async () => {
          const towardBob = near(bob, 0.5, 2000)
          const steps = await harness().play([...turningFrames.slice(0, switchAt), ...repeat(25, frameOf([face(towardBob, center, { look: looks.ann })]))])
          expect(onlyFace(steps[reDescribedAt]).name).toBeNull()
        })
      })

      it('would keep the old name after the next description without it (identityBreak out of reach)', async () => {
        const scene = harness({ options: { identityBreak: 10 } })
        const steps = await scene.play([...annFrames, ...repeat(25, frameOf([face(stranger, center, { look: looks.ann })]))])
        expect(onlyFace(steps[reDescribedAt]).decision?.name).toBeNull()
        expect(steps.map((step) => onlyFace(step).name)).toEqual(Array(steps.length).fill('ann'))
      })
    })
  })

  describe('new tracks', () => {
    it('names a new track on its first frame from its own descriptor, and describes the next face two frames later', async () => {
      const scene = harness()
      const steps = await scene.play(repeat(3, frameOf([face(ann, left), face(stranger, right, { look: looks.stranger })])))
      const [first, , third] = steps
      // The first frame is a cut: one face described there, the other after the frame that follows a descriptor.
      expect(scene.calls.describe).toBe(2)
      expect(first!.faces.map(({ id, name, described, decision }) => ({ id, name, described, decided: decision?.name ?? null }))).toEqual([
        { id: 1, name: 'ann', described: true, decided: 'ann' },
        { id: 2, name: null, described: false, decided: null },
      ])
      expect(first!.faces.map(({ distance }) => distance)).toEqual([0, null])
      expect(third!.faces.map(({ id, name, described }) => ({ id, name, described }))).toEqual([
        { id: 1, name: 'ann', described: false },
        { id: 2, name: null, described: true },
      ])
    })

    it('starts a face that comes into view next to a named one unknown, whatever its neighbour is called', async () => {
      const scene = harness()
      const alone = repeat(6, frameOf([face(ann, left)]))
      const together = repeat(4, frameOf([face(ann, left), face(stranger, right, { look: looks.stranger })]))
      const steps = await scene.play([...alone, ...together])
      // Frame 6 is a detection frame (every 6 frames): the stranger gets a track there.
      expect(shown(steps.slice(alone.length))).toEqual(
        together.map(() => [
          { id: 1, name: 'ann' },
          { id: 2, name: null },
        ]),
      )
    })

    it('describes a face new at a detection between cuts on the next frame: the detection frame runs no descriptor', async () => {
      const scene = harness()
      await scene.play(repeat(6, frameOf([face(ann, left)])))
      const describedBefore = scene.calls.describe
      const together = frameOf([face(ann, left), face(stranger, right, { look: looks.stranger })])
      // Frame 6 (198 ms) is a detection frame; ann, described on frames 0 to 2, is not due again before 500 ms.
      const [detection] = await scene.play([together])
      expect(detection).toMatchObject({ detected: true, cut: false })
      expect(detection!.faces.map(({ id, described }) => ({ id, described }))).toEqual([
        { id: 1, described: false },
        { id: 2, described: false },
      ])
      expect(scene.calls.describe).toBe(describedBefore)
      const [next] = await scene.play([together])
      expect(next).toMatchObject({ detected: false })
      expect(next!.faces.map(({ id, name, described }) => ({ id, name, described }))).toEqual([
        { id: 1, name: 'ann', described: false },
        { id: 2, name: null, described: true },
      ])
      expect(scene.calls.describe).toBe(describedBefore + 1)
    })

    it('describes one face every other frame with several in view, new ones first, then named ones, then the fewest votes: the others wait their turn', async () => {
      const scene = harness()
      const crowd = frameOf([face(stranger, left, { look: looks.stranger }), face(near(stranger, 1.5, 7), center, { look: looks.bob }), face(bob, right, { look: looks.ann })])
      const steps = await scene.play(repeat(9, crowd))
      const describedIds = steps.map((step) => step.faces.filter(({ described }) => described).map(({ id }) => id))
      // One face a frame at most (describePerFrame), with three in view on every other frame: faces never
      // described first, the oldest track first; then named ones before the rest: bob, named on frame 4,
      // gets frames 6 and 8 for his second and third votes.
      expect(describedIds).toEqual([[1], [], [2], [], [3], [], [3], [], [3]])
      expect(steps.map((step) => step.faces.map(({ name }) => name))).toEqual(steps.map((_, index) => [null, null, index < 4 ? null : 'bob']))
    })

    it('describes a named face that jumps at once, even on a frame where the others must wait', async () => {
      const scene = harness({ options: { jump: 0.1 } })
      const strangerFace = face(stranger, right, { look: looks.stranger })
      const steps = await scene.play([
        ...repeat(2, frameOf([face(ann, left), strangerFace])),
        frameOf([face(ann, box(left.x + 15, left.y)), strangerFace]), // 0.15 of its width
      ])
      const describedIds = steps.map((step) => step.faces.filter(({ described }) => described).map(({ id }) => id))
      // Frame 0 gave its descriptor to ann, so frame 1 describes only what cannot wait: nothing yet; frame 2
      // would go to the stranger (no votes), but ann jumped there, and she is named.
      expect(describedIds).toEqual([[1], [], [1]])
      expect(steps.map((step) => step.detected)).toEqual([true, false, false])
    })

    it('gives the frame\'s descriptor to a named face due its check before faces still voting', async () => {
      const scene = harness()
      await scene.play(repeat(6, frameOf([face(ann, left)])))
      const withStrangers = frameOf([face(ann, left), face(stranger, center, { look: looks.stranger }), face(near(stranger, 1.5, 7), right, { look: looks.bob })])
      const steps = await scene.play(repeat(14, withStrangers))
      const describedIds = steps.map((step) => step.faces.filter(({ described }) => described).map(({ id }) => id))
      // Frames 6 to 19: the strangers' tracks start at the detection of frame 6 and take turns from frame 7,
      // every other frame. ann, described on frames 0 to 2 (66 ms), is due at 566 ms, frame 18, which runs
      // the detector (only faces still voting are described there) and follows a descriptor: she gets
      // frame 19, before the strangers.
      expect(describedIds).toEqual([[], [2], [], [3], [], [2], [], [3], [], [2], [], [3], [], [1]])
      for (const step of steps) expect(onlyFaceNamed(step, 'ann').id).toBe(1)
    })

    it('tracks faces without naming them, and never describes them, with recognition off', async () => {
      const scene = harness({ gallery: null })
      const steps = await scene.play(repeat(10, frameOf([face(ann, left), face(bob, right, { look: looks.bob })])))
      expect(scene.calls.describe).toBe(0)
      expect(shown(steps)).toEqual(
        steps.map(() => [
          { id: 1, name: null },
          { id: 2, name: null },
        ]),
      )
      expect(steps.flatMap(({ faces }) => faces.map(({ distance, described, decision }) => ({ distance, described, decision })))).toEqual(
        Array(steps.length * 2).fill({ distance: null, described: false, decision: null }),
      )
    })

    it('describes a track that was followed with recognition off on the first frame recognition is on', async () => {
      const scene = harness()
      const off = await scene.play(repeat(3, frameOf([face(ann, center)])), { galleryNow: null })
      const [on] = await scene.play([frameOf([face(ann, center)])])
      expect(off.map((step) => onlyFace(step).name)).toEqual([null, null, null])
      expect(onlyFace(on)).toMatchObject({ id: 1, name: 'ann', described: true })
      expect(scene.calls.describe).toBe(1)
    })
  })

  describe('lost tracks', () => {
    it('looks for a face its landmarks lost with the detector in the same frame, and drops its track when it is gone', async () => {
      const scene = harness()
      const steps = await scene.play([...repeat(2, frameOf([face(ann, center)])), emptyFrame, ...repeat(7, frameOf([face(ann, center)]))])
      const [, , goneStep, backStep] = steps
      expect(goneStep).toMatchObject({ detected: true, faces: [], dropped: [{ id: 1, reason: 'fit' }] })
      // The detector ran on the frame the face was lost: the next one waits for the schedule (6 frames).
      expect(backStep!.detected).toBe(false)
      expect(backStep!.faces).toEqual([])
      expect(steps.map((step) => step.detected)).toEqual([true, false, true, false, false, false, false, false, true, false])
      // New at a detection between cuts: described on the next frame, the detection's frame spared it.
      expect(onlyFace(steps[8])).toMatchObject({ id: 2, name: null, described: false })
      expect(onlyFace(steps[9])).toMatchObject({ id: 2, name: 'ann', described: true })
    })

    it('goes on with a track whose face moved past its search box, where the detector finds it in the same frame', async () => {
      const scene = harness()
      const moved = box(center.x + 50, center.y) // overlaps the last box by 1/3: under minFitIoU (0.4), half a face width away
      const steps = await scene.play([...repeat(2, frameOf([face(ann, center)])), ...repeat(2, frameOf([face(ann, moved)]))])
      const [, , jumpStep] = steps
      expect(jumpStep).toMatchObject({ detected: true, dropped: [] })
      // Found again: the same track, described at once.
      expect(onlyFace(jumpStep)).toMatchObject({ id: 1, box: moved, name: 'ann', described: true })
    })

    it('never shows the old name on someone else the detector finds where a lost face was', async () => {
      const scene = harness()
      const moved = box(center.x + 50, center.y)
      const steps = await scene.play([...repeat(3, frameOf([face(ann, center)])), ...repeat(3, frameOf([face(stranger, moved)]))])
      const after = steps.slice(3)
      // The same track, described at once: the stranger's descriptor breaks from ann's, so her votes are gone.
      expect(onlyFace(after[0])).toMatchObject({ id: 1, described: true, name: null })
      expect(after.flatMap(({ faces }) => faces).filter(({ name }) => name === 'ann')).toEqual([])
    })

    it('starts a new track for a face that moved too far to pair with its track', async () => {
      const scene = harness()
      const far = box(center.x + 170, center.y) // its center 1.7 face widths away: beyond the reach of a lost track
      const steps = await scene.play([...repeat(2, frameOf([face(ann, center)])), ...repeat(2, frameOf([face(ann, far)]))])
      const [, , jumpStep, nextStep] = steps
      expect(jumpStep).toMatchObject({ detected: true, dropped: [{ id: 1, reason: 'fit' }] })
      expect(onlyFace(jumpStep)).toMatchObject({ id: 2, box: far, name: null, described: false })
      expect(onlyFace(nextStep)).toMatchObject({ id: 2, box: far, name: 'ann', described: true })
    })
  })

  describe('re-acquisition', () => {
    // At 33 ms a frame the detector runs at frames 0, 6, 12…
    const firstMissed = 6
    const secondMissed = 12

    it('keeps a track missed by one detection while it is fitted, and drops it after one more', async () => {
      const scene = harness({ options: { maxUndetectedMs: 200 } })
      const seen = frameOf([face(ann, center)])
      const missed = frameOf([face(ann, center, { detectable: false })])
      const steps = await scene.play([seen, ...repeat(14, missed)])
      expect(detectedSteps(steps)).toEqual([0, firstMissed, secondMissed])
      expect(shown(steps.slice(0, secondMissed))).toEqual(Array(secondMissed).fill([{ id: 1, name: 'ann' }]))
      expect(steps.flatMap(({ dropped }) => dropped)).toEqual([{ id: 1, reason: 'undetected' }])
      expect(steps[secondMissed]).toMatchObject({ faces: [], dropped: [{ id: 1, reason: 'undetected' }] })
      // The detector runs again on the next frame (a track was lost) and still does not find the face.
      expect(steps.slice(secondMissed).map(({ faces }) => faces)).toEqual(Array(steps.length - secondMissed).fill([]))
    })

    it('drops a track at its first missed detection with maxUndetectedMs 0', async () => {
      const scene = harness({ options: { maxUndetectedMs: 0 } })
      const steps = await scene.play([frameOf([face(ann, center)]), ...repeat(8, frameOf([face(ann, center, { detectable: false })]))])
      expect(steps.flatMap(({ dropped }) => dropped)).toEqual([{ id: 1, reason: 'undetected' }])
      expect(steps[firstMissed]).toMatchObject({ faces: [], dropped: [{ id: 1, reason: 'undetected' }] })
    })

    it('counts the time a face goes unfound, not the detections: run on every frame, they drop it no sooner', async () => {
      const scene = harness({ options: { detectEveryFrames: 1, maxUndetectedMs: 200 } })
      const seen = frameOf([face(ann, center)])
      const missed = frameOf([face(ann, center, { detectable: false })])
      const steps = await scene.play([seen, ...repeat(4, missed), seen, ...repeat(9, missed)])
      expect(detectedSteps(steps)).toEqual(steps.map((_, index) => index))
      // Unfound from 0 ms to 132 ms, then from 165 ms: dropped at 396 ms, the first detection more than 200 ms on.
      expect(stepsWhere(steps, (step) => step.dropped.length > 0)).toEqual([12])
      expect(steps[12]!.dropped).toEqual([{ id: 1, reason: 'undetected' }])
      expect(shown(steps.slice(0, 12))).toEqual(Array(12).fill([{ id: 1, name: 'ann' }]))
    })

    it('describes a track on the frame the detector finds it again', async () => {
      const scene = harness({ options: { maxUndetectedMs: 200 } })
      const seen = frameOf([face(ann, center)])
      const missed = frameOf([face(ann, center, { detectable: false })])
      const frames = [...repeat(firstMissed, seen), missed, ...repeat(8, seen)]
      const steps = await scene.play(frames)
      // Described while young (frames 0–2), then not for 500 ms, but at once when found again at frame 12 (396 ms).
      expect(describedSteps(steps)).toEqual([0, 1, 2, secondMissed])
      expect(scene.calls.describe).toBe(4)
      expect(onlyFace(steps[secondMissed])).toMatchObject({ id: 1, name: 'ann', described: true })
      expect(steps.flatMap(({ dropped }) => dropped)).toEqual([])
    })
  })

  describe('detection schedule', () => {
    const frameCount = 30
    const everyNth = (step: number) => Array.from({ length: Math.ceil(frameCount / step) }, (_, index) => index * step)

    it.each<[string, number, Partial<LiveOptions>, number[]]>([
      ['at 30 fps, every 6 frames before 200 ms pass', at30fps, { detectEveryFrames: 6, detectEveryMs: 200 }, everyNth(6)],
      ['at 30 fps with 10 frames allowed, every 200 ms (7 frames)', at30fps, { detectEveryFrames: 10, detectEveryMs: 200 }, everyNth(7)],
      ['at 12 fps, every 200 ms (3 frames)', 83, { detectEveryFrames: 6, detectEveryMs: 200 }, everyNth(3)],
      ['at 5 fps, on every frame', 200, { detectEveryFrames: 6, detectEveryMs: 200 }, everyNth(1)],
      ['with detectEveryFrames 1, on every frame', at30fps, { detectEveryFrames: 1, detectEveryMs: 1000 }, everyNth(1)],
    ])('runs the detector on the first frame, then %s', async (_, frameMs, options, expected) => {
      const scene = harness({ options, frameMs })
      const steps = await scene.play(repeat(frameCount, frameOf([face(ann, center)])))
      expect(detectedSteps(steps)).toEqual(expected)
      expect(scene.calls.detect).toBe(expected.length)
      // The face stands still: it is fitted where the detector ran, and on the second frame (its first fit came
      // from the detector's box); between detections it keeps its fit.
      expect(scene.calls.fit).toBe(new Set([...expected, 1]).size)
      expect(scene.calls.frameSignature).toBe(frameCount)
      expect(steps.flatMap(({ faces }) => faces.map(({ id }) => id))).toEqual(Array(frameCount).fill(1))
    })

    it('runs the detector on frames without faces on the same schedule', async () => {
      const scene = harness()
      const steps = await scene.play(repeat(13, emptyFrame))
      expect(detectedSteps(steps)).toEqual([0, 6, 12])
      expect(scene.calls.fit).toBe(0)
    })
  })

  describe('a face standing still', () => {
    // The detector runs on frames 0, 6 and 12 of 15 (testSchedule, 30 fps).
    const detections = [0, 6, 12]

    it('keeps its fit between detections once the landmarks settled: the landmark network runs where the detector ran, and on the frame after the first', async () => {
      const scene = harness()
      const steps = await scene.play(repeat(15, frameOf([face(ann, center)])))
      expect(detectedSteps(steps)).toEqual(detections)
      expect(scene.calls.fitted).toBe(detections.length + 1)
      // Every frame between detections but the second checked the crop instead.
      expect(scene.calls.appearance).toBe(15 - detections.length - 1)
      expect(steps.map((step) => onlyFace(step))).toEqual(steps.map(() => expect.objectContaining({ id: 1, box: center })))
      expect(onlyFace(steps.at(-1))).toMatchObject({ name: 'ann' })
    })

    it('is fitted again on every frame once it moves, and its box follows it', async () => {
      const scene = harness()
      const path = Array.from({ length: 15 }, (_, index) => box(200 + 4 * index, 100))
      const steps = await scene.play(path.map((where) => frameOf([face(ann, where)])))
      expect(scene.calls.fitted).toBe(15)
      expect(steps.map((step) => onlyFace(step).box)).toEqual(path)
    })

    it('is fitted again on the frame after a fit that moved far from the box it searched: those landmarks have not settled', async () => {
      const scene = harness()
      const moved = box(220, 100)
      const steps = await scene.play([...repeat(3, frameOf([face(ann, center)])), ...repeat(3, frameOf([face(ann, moved)]))])
      // Fitted on frames 0 and 1 (as above), 3 (the face moved: its crop changed) and 4 (that fit overlapped its search box by 0.67).
      expect(scene.calls.fitted).toBe(4)
      expect(steps.map((step) => onlyFace(step).box)).toEqual([center, center, center, moved, moved, moved])
    })

    it('is fitted again when someone else takes the place between detections, and never keeps the name', async () => {
      const scene = harness()
      const annFrames = repeat(4, frameOf([face(ann, center, { look: looks.ann })]))
      const bobFrames = repeat(2, frameOf([face(bob, center, { look: looks.bob })]))
      const steps = await scene.play([...annFrames, ...bobFrames])
      expect(detectedSteps(steps)).toEqual([0, 4])
      expect(shown(steps.slice(annFrames.length))).toEqual([[{ id: 1, name: 'bob' }], [{ id: 1, name: 'bob' }]])
    })

    it('never keeps a fit with stillAppearance above 1', async () => {
      const scene = harness({ options: { stillAppearance: 1.01 } })
      await scene.play(repeat(15, frameOf([face(ann, center)])))
      expect(scene.calls.fitted).toBe(15)
      expect(scene.calls.appearance).toBe(15 - detections.length - 1)
    })
  })

  describe('re-description cadence', () => {
    // 40 ms a frame, a named face described every 400 ms and an unknown one every 120 ms. The detector
    // runs on the first frame only: frames that run it describe no face that can wait (tested below).
    const frameMs = 40
    const cadence = { describeEveryMs: 400, describeUnknownEveryMs: 120, detectEveryFrames: 1000, detectEveryMs: 1e6 }
    const frameCount = 30

    it('describes a named track every describeEveryMs once it has minVotes votes', async () => {
      const scene = harness({ options: cadence, frameMs })
      const steps = await scene.play(repeat(frameCount, frameOf([face(ann, center)])))
      // Young at frames 0–2 (the third vote at 80 ms), then at 480 ms and 880 ms.
      expect(describedSteps(steps)).toEqual([0, 1, 2, 12, 22])
      expect(scene.calls.describe).toBe(5)
      expect(steps.map((step) => onlyFace(step).name)).toEqual(Array(frameCount).fill('ann'))
      // Between descriptions the face keeps its name and has no decision of its own.
      const firstUndescribed = 3
      expect(onlyFace(steps[firstUndescribed])).toMatchObject({ described: false, decision: null, name: 'ann', distance: 0 })
    })

    it('describes a young track on every frame until it has minVotes votes', async () => {
      const scene = harness({ options: { ...cadence, minVotes: 5 }, frameMs })
      const steps = await scene.play(repeat(frameCount, frameOf([face(ann, center)])))
      // Young at frames 0–4 (the fifth vote at 160 ms), then at 560 ms and 960 ms.
      expect(describedSteps(steps)).toEqual([0, 1, 2, 3, 4, 14, 24])
    })

    it('describes an unknown track every frame until its vote window is full, then every describeUnknownEveryMs', async () => {
      const scene = harness({ options: cadence, frameMs })
      const steps = await scene.play(repeat(frameCount, frameOf([face(stranger, center)])))
      // Young at frames 0–6 (seven votes, 240 ms), then every 120 ms: 360, 480, 600… ms.
      expect(describedSteps(steps)).toEqual([0, 1, 2, 3, 4, 5, 6, 9, 12, 15, 18, 21, 24, 27])
      expect(steps.map((step) => onlyFace(step).name)).toEqual(Array(frameCount).fill(null))
    })

    it.each<[string, number, number[]]>([
      ['jump 0.1: a move of 0.15 of its width is a jump', 0.1, [0, 1, 2, 8]],
      ['jump 0.5: the same move is not', 0.5, [0, 1, 2]],
    ])('describes a track on the frame it jumps (%s), not when it moves a little', async (_, jump, expected) => {
      const scene = harness({ options: { ...cadence, jump }, frameMs })
      const steps = await scene.play([
        ...repeat(5, frameOf([face(ann, center)])),
        ...repeat(3, frameOf([face(ann, box(center.x + 5, center.y))])), // 0.05 of its width, at frame 5
        ...repeat(4, frameOf([face(ann, box(center.x + 20, center.y))])), // 0.15 more, at frame 8
      ])
      expect(describedSteps(steps)).toEqual(expected)
      expect(steps.flatMap(({ faces }) => faces.map(({ id }) => id))).toEqual(Array(steps.length).fill(1))
      expect(onlyFace(steps.at(-1)).box).toEqual(box(center.x + 20, center.y))
    })
  })

  describe('duplicates and names', () => {
    it('drops the younger of two tracks that converge on one face', async () => {
      const scene = harness()
      const first = box(0, 100)
      const second = box(60, 100) // overlaps the first by 40/160
      const between = box(30, 100) // overlaps each by 70/130
      const steps = await scene.play([frameOf([face(ann, first), face(ann, second)]), ...repeat(3, frameOf([face(ann, between)]))])
      const [twoStep, ...mergedSteps] = steps
      const mergedStep = mergedSteps[0]
      expect(twoStep!.faces.map(({ id }) => id)).toEqual([1, 2])
      expect(mergedStep).toMatchObject({ detected: false, dropped: [{ id: 2, reason: 'duplicate' }] })
      expect(shown(mergedSteps)).toEqual(mergedSteps.map(() => [{ id: 1, name: 'ann' }]))
      expect(onlyFace(mergedStep).box).toEqual(between)
    })

    it('names only one of two faces that are both nearest to the same person in one frame', async () => {
      const scene = harness()
      const steps = await scene.play(repeat(8, frameOf([face(ann, left), face(ann, right, { look: looks.bob })])))
      expect(shown(steps)).toEqual(
        steps.map(() => [
          { id: 1, name: 'ann' },
          { id: 2, name: null },
        ]),
      )
    })

    it('gives a name both tracks voted for to the closer face only', async () => {
      const scene = harness()
      const annFar = near(ann, 0.3)
      const alone = repeat(6, frameOf([face(annFar, left)]))
      const both = repeat(6, frameOf([face(annFar, left), face(ann, right, { look: looks.bob })]))
      const steps = await scene.play([...alone, ...both])
      expect(shown(steps.slice(0, alone.length))).toEqual(Array(alone.length).fill([{ id: 1, name: 'ann' }]))
      // The second face gets a track at frame 6 (a detection) and its first descriptor at frame 7: from then
      // on it votes ann at distance 0, the first at 0.3.
      expect(shown(steps.slice(alone.length))).toEqual(
        both.map((_, index) => [
          { id: 1, name: index === 0 ? 'ann' : null },
          { id: 2, name: index === 0 ? null : 'ann' },
        ]),
      )
      for (const step of steps) expect(step.faces.filter(({ name }) => name === 'ann')).toHaveLength(1)
    })
  })

  describe('descriptors computed elsewhere (a second worker)', () => {
    const annAlone = frameOf([face(ann, center)])
    const bobThere = frameOf([face(bob, center, { look: looks.bob })])
    const strangerAlone = frameOf([face(stranger, center, { look: looks.stranger })])
    const names = (steps: readonly LiveStep[]) => steps.map((step) => step.faces.map(({ name }) => name))
    const arrivals = (steps: readonly LiveStep[]) => stepsWhere(steps, (step) => step.describedElsewhere > 0)
    const sent = (scene: { batches: readonly ElsewhereBatch[] }) => scene.batches.map(({ frameIndex }) => frameIndex)

    it('takes a face\'s first minVotes descriptors here, sends its routine checks there, and takes each when it comes back', async () => {
      const scene = harness({ elsewhere: { afterFrames: 3 } })
      const steps = await scene.play(repeat(40, annAlone))
      expect(describedSteps(steps.slice(0, 3))).toEqual([0, 1, 2])
      expect(scene.calls.describe).toBe(3)
      // The check is due 500 ms after frame 2's descriptor: frame 18, which runs the detector (a named face's
      // check waits for the next frame), so frame 19; the next 500 ms after that.
      expect(sent(scene)).toEqual([19, 35])
      expect(arrivals(steps)).toEqual([22, 38])
      for (const index of arrivals(steps)) expect(steps[index]!.faces[0]).toMatchObject({ name: 'ann', described: true, decision: { name: 'ann' } })
      expect(names(steps)).toEqual(steps.map(() => ['ann']))
    })

    it('keeps an unknown face\'s votes and checks here: they can name it', async () => {
      const without = harness()
      const scene = harness({ elsewhere: { afterFrames: 2 } })
      const expected = await without.play(repeat(20, strangerAlone))
      const steps = await scene.play(repeat(20, strangerAlone))
      expect(scene.batches).toEqual([])
      expect(describedSteps(steps)).toEqual(describedSteps(expected))
      expect(scene.calls.describe).toBe(without.calls.describe)
      expect(names(steps)).toEqual(steps.map(() => [null]))
    })

    it.each([
      ['after it', 21],
      ['on that very frame', 23],
    ])('never takes a descriptor read before someone else took the place: one that comes back %s', async (_, swapAt) => {
      const scene = harness({ elsewhere: { afterFrames: 4 } })
      const steps = await scene.play([...repeat(swapAt, annAlone), ...repeat(6, bobThere)])
      // ann's check, read on frame 19, comes back on frame 23.
      expect(sent(scene)).toEqual([19])
      expect(arrivals(steps)).toEqual([])
      expect(names(steps.slice(swapAt))).toEqual(steps.slice(swapAt).map(() => ['bob']))
      // bob, in a box named ann, is described at once, here, and his first votes with him.
      expect(steps[swapAt]!.faces[0]).toMatchObject({ name: 'bob', described: true, decision: { name: 'bob' } })
      expect(describedSteps(steps.slice(swapAt)).map((index) => index + swapAt)).toEqual([swapAt, swapAt + 1, swapAt + 2])
    })

    it('takes no descriptor across a cut', async () => {
      const scene = harness({ elsewhere: { afterFrames: 4 } })
      const afterCut = frameOf([face(bob, center, { look: looks.bob })], 200)
      const steps = await scene.play([...repeat(21, annAlone), ...repeat(8, afterCut)])
      expect(steps[21]).toMatchObject({ cut: true, scene: 2 })
      // ann's check, read on frame 19, would be back on frame 23.
      expect(sent(scene)).toEqual([19])
      expect(arrivals(steps)).toEqual([])
      expect(describedSteps(steps.slice(21)).map((index) => index + 21)).toEqual([21, 22, 23])
      expect(names(steps.slice(21))).toEqual(steps.slice(21).map(() => ['bob']))
    })

    it('describes a named face that jumps here, at once, while its check is elsewhere, and drops that check', async () => {
      const scene = harness({ options: { jump: 0.1 }, elsewhere: { afterFrames: 3 } })
      const moved = frameOf([face(ann, box(center.x + 15, center.y))])
      const steps = await scene.play([...repeat(21, annAlone), ...repeat(4, moved)])
      // The check was read on frame 19 and would be back on frame 22; ann jumps on frame 21.
      expect(sent(scene)).toEqual([19])
      expect(steps[21]!.faces[0]).toMatchObject({ name: 'ann', described: true })
      expect(scene.calls.describe).toBe(4)
      expect(arrivals(steps)).toEqual([])
    })

    it('describes a named face that jumps here on the frame another face\'s check is sent there', async () => {
      const scene = harness({ options: { jump: 0.1 }, elsewhere: { afterFrames: 3 } })
      const bobRight = face(bob, right, { look: looks.bob })
      const pair = frameOf([face(ann, left), bobRight])
      const annMoved = frameOf([face(ann, box(left.x + 15, left.y)), bobRight])
      const steps = await scene.play([...repeat(28, pair), ...repeat(3, annMoved)])
      // ann's check goes on frame 25 and is back on 28, where bob's, due since frame 26, goes; ann jumps there.
      expect(sent(scene)).toEqual([25, 28])
      expect(scene.batches[1]!.descriptors).toEqual([bob])
      expect(steps[28]!.faces.map(({ name, described }) => ({ name, described }))).toEqual([
        { name: 'ann', described: true },
        { name: 'bob', described: false },
      ])
    })

    it('keeps one batch there at a time: the faces due wait for it', async () => {
      const scene = harness({ elsewhere: { afterFrames: 3 } })
      const crowd = frameOf([face(ann, left), face(bob, center, { look: looks.bob }), face(stranger, right, { look: looks.stranger })])
      const steps = await scene.play(repeat(80, crowd))
      const frames = sent(scene)
      expect(frames.length).toBeGreaterThan(3)
      for (let index = 1; index < frames.length; index++) expect(frames[index]! - frames[index - 1]!).toBeGreaterThanOrEqual(3)
      // ann's and bob's first three votes here; the stranger, never named, is described only here.
      for (const { descriptors } of scene.batches) for (const descriptor of descriptors) expect(euclideanDistance(descriptor!, stranger)).toBeGreaterThan(1)
      expect(names(steps).at(-1)).toEqual(['ann', 'bob', null])
    })

    it('describes everything here while the other thread cannot take faces', async () => {
      const crowd = frameOf([face(ann, left), face(stranger, right, { look: looks.stranger })])
      const without = harness()
      const unavailable = harness({ elsewhere: { afterFrames: 2, available: () => false } })
      const expected = await without.play(repeat(40, crowd))
      const steps = await unavailable.play(repeat(40, crowd))
      expect(unavailable.calls.describe).toBe(without.calls.describe)
      expect(shown(steps)).toEqual(shown(expected))
      expect(describedSteps(steps)).toEqual(describedSteps(expected))
      expect(unavailable.batches).toEqual([])
    })

    it('sends a face again when its batch fails', async () => {
      const scene = harness({ elsewhere: { afterFrames: 3, fails: (batch) => batch === 0 } })
      const steps = await scene.play(repeat(30, annAlone))
      expect(sent(scene)).toEqual([19, 22])
      expect(arrivals(steps)).toEqual([25])
      expect(names(steps)).toEqual(steps.map(() => ['ann']))
    })

    it('takes no descriptor that comes back with recognition off', async () => {
      const scene = harness({ elsewhere: { afterFrames: 3 } })
      await scene.play(repeat(20, annAlone))
      expect(sent(scene)).toEqual([19])
      const off = await scene.play(repeat(3, annAlone), { galleryNow: null })
      expect(off.map((step) => step.describedElsewhere)).toEqual([0, 0, 0])
      expect(names(off)).toEqual([[null], [null], [null]])
    })
  })

  describe('descriptors computed after the frame', () => {
    const annAlone = frameOf([face(ann, center)])
    const bobThere = frameOf([face(bob, center, { look: looks.bob })])
    const afterFrameSteps = (steps: readonly LiveStep[]) => stepsWhere(steps, (step) => step.describedAfterFrame > 0)

    it('takes a young face\'s votes after each frame, and each votes on the next: the face is named a frame later', async () => {
      const here = await harness().play(repeat(10, annAlone))
      const scene = harness({ afterFrame: true })
      const steps = await scene.play(repeat(10, annAlone))
      expect(describedSteps(here)).toEqual([0, 1, 2])
      expect(scene.afterFrameBatches.map(({ frameIndex }) => frameIndex)).toEqual([0, 1, 2])
      expect(afterFrameSteps(steps)).toEqual([1, 2, 3])
      expect(describedSteps(steps)).toEqual([1, 2, 3])
      expect(scene.calls.describe).toBe(0)
      expect(shown(steps)).toEqual([[{ id: 1, name: null }], ...Array(9).fill([{ id: 1, name: 'ann' }])])
    })

    it('describes a named face that jumps here, in the frame', async () => {
      const scene = harness({ options: { jump: 0.1 }, afterFrame: true })
      const steps = await scene.play([...repeat(21, annAlone), frameOf([face(ann, box(center.x + 15, center.y))])])
      expect(scene.calls.describe).toBe(1)
      expect(steps[21]!.faces[0]).toMatchObject({ name: 'ann', described: true })
      expect(steps[21]!.describedAfterFrame).toBe(0)
    })

    it('never takes a descriptor read before someone else took the place, and describes them in the frame', async () => {
      const scene = harness({ afterFrame: true })
      const steps = await scene.play([...repeat(2, annAlone), ...repeat(6, bobThere)])
      // ann's vote read on frame 1 comes back on frame 2, where bob is: it is not taken.
      expect(scene.afterFrameBatches[1]).toMatchObject({ frameIndex: 1, descriptors: [ann] })
      expect(steps[2]!).toMatchObject({ describedAfterFrame: 0, faces: [{ name: 'bob', described: true }] })
      expect(scene.calls.describe).toBe(1)
      expect(steps.slice(2).map((step) => step.faces.map(({ name }) => name))).toEqual(Array(6).fill(['bob']))
    })

    it('takes no descriptor across a cut', async () => {
      const scene = harness({ afterFrame: true })
      const strangerAlone = frameOf([face(stranger, center, { look: looks.stranger })])
      const steps = await scene.play([...repeat(4, strangerAlone), ...repeat(3, frameOf([face(bob, center, { look: looks.bob })], 200))])
      // The stranger's vote read on frame 3 would come back on frame 4, the cut.
      expect(scene.afterFrameBatches[3]).toMatchObject({ frameIndex: 3, descriptors: [stranger] })
      expect(steps[4]).toMatchObject({ cut: true, describedAfterFrame: 0, faces: [{ name: null, described: false }] })
      expect(steps[5]).toMatchObject({ describedAfterFrame: 1, faces: [{ name: 'bob', described: true }] })
    })
  })

  describe('detections computed elsewhere (a second worker)', () => {
    const sentSteps = (steps: readonly LiveStep[]) => stepsWhere(steps, (step) => step.detectionSent)
    const arrivedSteps = (steps: readonly LiveStep[]) => stepsWhere(steps, (step) => step.detectionArrived)
    const ids = (steps: readonly LiveStep[]) => steps.map((step) => step.faces.map(({ id }) => id))
    const detects = (afterFrames: number, more: Partial<ElsewhereOptions> = {}): HarnessOptions => ({ elsewhere: { afterFrames, detects: true, ...more } })

    it('sends the schedule\'s detections there, and a face that comes into view is boxed when their boxes come back', async () => {
      const scene = harness(detects(2))
      const steps = await scene.play([...repeat(10, emptyFrame), ...repeat(20, frameOf([face(ann, center)]))])
      // Frame 0 starts the scene (the detector runs here); the next is due on frame 6 (6 frames), and back
      // two frames (66 ms) later; then each is sent 66 ms before 200 ms are up: every 5 frames (165 ms).
      expect(detectedSteps(steps)).toEqual([0])
      expect(scene.calls.detect).toBe(1)
      expect(sentSteps(steps)).toEqual([6, 11, 16, 21, 26])
      expect(scene.detections.map(({ frameIndex }) => frameIndex)).toEqual(sentSteps(steps))
      expect(arrivedSteps(steps)).toEqual([8, 13, 18, 23, 28])
      expect(ids(steps)).toEqual([...Array(13).fill([]), ...Array(17).fill([1])])
      expect(steps[13]!.faces[0]).toMatchObject({ name: 'ann', described: true })
      expect(steps.at(-1)!.faces[0]).toMatchObject({ id: 1, name: 'ann' })
    })

    it('pairs the boxes with the tracks as they were in the frame sent: a face moving fast keeps its track', async () => {
      const scene = harness(detects(3))
      // 30 px a frame: three frames on, the face is 90 px from the box found, which barely overlaps it.
      const steps = await scene.play(Array.from({ length: 40 }, (_, index) => frameOf([face(ann, box(30 * index, 100))])))
      // Back three frames (99 ms) after they are sent: sent every 4 frames (132 ms, the first 101 ms before 200 are up).
      expect(arrivedSteps(steps)).toEqual([9, 13, 17, 21, 25, 29, 33, 37])
      expect(ids(steps)).toEqual(steps.map(() => [1]))
      expect(steps.flatMap((step) => step.dropped)).toEqual([])
      // Each box found is carried to where the face is now, and fits it there: the detector never runs here again.
      expect(scene.calls.detect).toBe(1)
      expect(steps.at(-1)!.faces[0]).toMatchObject({ name: 'ann', box: box(30 * 39, 100) })
    })

    it('drops a track the detector there stops finding, without running it here for the face', async () => {
      const scene = harness(detects(2))
      const found = frameOf([face(ann, center)])
      const missed = frameOf([face(ann, center, { detectable: false })])
      const steps = await scene.play([...repeat(5, found), ...repeat(15, missed)])
      // Missed by the detections sent on frames 6 and 11 (back on 8 and 13): one miss is allowed.
      expect(stepsWhere(steps, (step) => step.dropped.length > 0)).toEqual([13])
      expect(steps[13]!.dropped).toEqual([{ id: 1, reason: 'undetected' }])
      expect(ids(steps)).toEqual([...Array(13).fill([1]), ...Array(7).fill([])])
      expect(scene.calls.detect).toBe(1)
    })

    it.each([
      ['a cut', 200],
      ['the detector running here for a lost face', 100],
    ])('takes no boxes sent before %s', async (_, grayAfter) => {
      const scene = harness(detects(2))
      // Someone the detector cannot find takes ann's place on frame 7: only the boxes sent on frame 6 would track them.
      const after = frameOf([face(stranger, left, { look: looks.stranger, detectable: false })], grayAfter)
      const steps = await scene.play([...repeat(7, frameOf([face(ann, left)])), ...repeat(10, after)])
      expect(sentSteps(steps)[0]).toBe(6)
      expect(detectedSteps(steps)).toEqual([0, 7])
      expect(steps[7]!.dropped).toEqual([{ id: 1, reason: grayAfter === 200 ? 'cut' : 'appearance' }])
      expect(arrivedSteps(steps)).not.toContain(8)
      expect(ids(steps.slice(7))).toEqual(steps.slice(7).map(() => []))
    })

    it('sends the next at once after one that fails', async () => {
      const scene = harness(detects(2, { detectionFails: (detection) => detection === 0 }))
      const steps = await scene.play([...repeat(3, emptyFrame), ...repeat(12, frameOf([face(ann, center)]))])
      expect(sentSteps(steps)).toEqual([6, 8, 13])
      expect(arrivedSteps(steps)).toEqual([10])
      expect(ids(steps)).toEqual([...Array(10).fill([]), ...Array(5).fill([1])])
      expect(scene.calls.detect).toBe(1)
    })

    it('runs the detector here when one sent is not back within detectEveryMs, and takes no boxes from it after', async () => {
      const scene = harness(detects(10))
      const steps = await scene.play(repeat(40, frameOf([face(ann, center)])))
      // Sent on frame 6 (198 ms), it is not back on frame 13 (231 ms on): the detector runs here. Its boxes,
      // back on frame 16, are older than that; as each takes longer than detectEveryMs, the next is sent at once.
      expect(detectedSteps(steps)).toEqual([0, 13, 23, 33])
      expect(sentSteps(steps)).toEqual([6, 16, 26, 36])
      expect(arrivedSteps(steps)).toEqual([])
      expect(ids(steps)).toEqual(steps.map(() => [1]))
    })

    it('detects here, as without it, while the other thread cannot take frames', async () => {
      const frames = [...repeat(8, emptyFrame), ...Array.from({ length: 30 }, (_, index) => frameOf([face(ann, box(200 + 10 * index, 100)), face(bob, right, { look: looks.bob })]))]
      const without = harness()
      const unavailable = harness(detects(2, { available: () => false }))
      const expected = await without.play(frames)
      const steps = await unavailable.play(frames)
      expect(shown(steps)).toEqual(shown(expected))
      expect(detectedSteps(steps)).toEqual(detectedSteps(expected))
      expect(unavailable.calls.detect).toBe(without.calls.detect)
      expect(sentSteps(steps)).toEqual([])
    })
  })

  describe('reset', () => {
    it('forgets every track: the next frame is a new scene, the detector runs and the ids are new', async () => {
      const scene = harness()
      const frame = frameOf([face(ann, center)])
      const before = await scene.play(repeat(3, frame))
      scene.tracker.reset()
      // Frame 3 (99 ms) would not be a detection frame, and the frame has not changed.
      const [afterReset, next] = await scene.play(repeat(2, frame))
      expect(before.map((step) => onlyFace(step).id)).toEqual([1, 1, 1])
      expect(afterReset).toMatchObject({ cut: true, detected: true, scene: 2, dropped: [] })
      expect(onlyFace(afterReset)).toMatchObject({ id: 2, name: 'ann', described: true, scene: 2 })
      expect(next).toMatchObject({ cut: false, detected: false })
      expect(onlyFace(next).id).toBe(2)
      expect(scene.calls.detect).toBe(2)
    })
  })

  describe('options', () => {
    it.each<[string, Partial<LiveOptions>, string]>([
      ['no detection frames', { detectEveryFrames: 0 }, 'detectEveryFrames is at least 1, not 0'],
      ['fractional detection frames', { detectEveryFrames: 2.5 }, 'detectEveryFrames is at least 1, not 2.5'],
      ['no descriptor a frame', { describePerFrame: 0 }, 'describePerFrame is at least 1, not 0'],
      ['a fractional descriptor count', { describePerFrame: 1.5 }, 'describePerFrame is at least 1, not 1.5'],
      ['a negative undetected time', { maxUndetectedMs: -1 }, 'maxUndetectedMs is a number of milliseconds, not -1'],
      ['a negative description interval', { describeEveryMs: -1 }, 'describeEveryMs is a number of milliseconds, not -1'],
      ['a NaN detection interval', { detectEveryMs: Number.NaN }, 'detectEveryMs is a number of milliseconds, not NaN'],
      ['a NaN cut threshold', { cutThreshold: Number.NaN }, 'cutThreshold is a number, not NaN'],
      ['an infinite jump', { jump: Infinity }, 'jump is a number, not Infinity'],
      ['a NaN still appearance', { stillAppearance: Number.NaN }, 'stillAppearance is a number, not NaN'],
      ['more votes than the window', { minVotes: 8 }, 'minVotes is between 1 and voteWindow (7), not 8'],
    ])('refuses %s', (_, options, message) => {
      expect(() => new LiveTracker(sceneOps().ops, options)).toThrow(new RangeError(message))
    })

    it('accepts the defaults, and zero intervals', () => {
      const { ops, calls } = sceneOps()
      expect(() => new LiveTracker(ops)).not.toThrow()
      expect(() => new LiveTracker(ops, { detectEveryMs: 0, describeEveryMs: 0, describeUnknownEveryMs: 0, maxUndetectedMs: 0 })).not.toThrow()
      expect(calls).toEqual({ frameSignature: 0, detect: 0, fit: 0, fitted: 0, appearance: 0, describe: 0 })
    })
  })
})

describe('naming through a FaceNamer (the server holds the gallery)', () => {
  /** The server's answer, as POST /api/faces/match gives it: assignFaces on the same gallery; every request kept. */
  function serverNamer(gallery: Gallery) {
    const requests: number[] = []
    const namer: FaceNamer = {
      async nameFaces(descriptors, rule) {
        requests.push(descriptors.length)
        return nameFaces(gallery, descriptors, rule)
      },
    }
    return { namer, requests }
  }

  it('shows the same names on every frame as the gallery held here, asking only on frames that describe a face', async () => {
    const scene = [
      ...repeat(20, frameOf([face(ann, center, { look: looks.ann }), face(bob, box(400, 100), { look: looks.bob })])),
      ...repeat(20, frameOf([face(stranger, center, { look: looks.stranger })], 30)),
    ]
    const here = await harness().play(scene)
    const { namer, requests } = serverNamer(people)
    const remote = harness({ gallery: null })
    const there = await remote.play(scene, { galleryNow: namer })
    expect(shown(there)).toEqual(shown(here))
    expect(requests).toEqual(there.flatMap((step) => (step.faces.some((one) => one.described) ? [step.faces.filter((one) => one.described).length] : [])))
    // The tracker's cadence: far fewer requests than frames once the faces are named.
    expect(requests.length).toBeLessThan(scene.length)
    expect(shown(there).at(19)!.map((one) => one.name)).toEqual(['ann', 'bob'])
  })
})
