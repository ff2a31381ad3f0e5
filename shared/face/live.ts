// Live video: detect now and then, follow each face in between with the cheaper landmark network (a face
// whose crop has not changed since its fit keeps it, without the network), and name a face only from its
// own descriptors. The same tracker runs in the recognition worker, in the page where no worker can, and
// in Node (`npm run eval:video`); what it runs on is given as `LiveOps` (live-ops.ts: face-api and
// TensorFlow.js).
//
// Identity is never carried to another face: a track is dropped at a scene cut, when its landmark
// fit fails, or when the detector stops finding it; a new track starts unknown; a track's descriptor
// is computed again on a short cadence, and at once when its crop stops looking like the last one, a
// jump or a re-detection; a descriptor far from the track's previous one, and not as near the person the
// track is named, means another person: the votes start again. Still nearest that person, it keeps the
// votes, and the next few frames describe the face to confirm them. Where a second worker computes
// descriptors (`describeElsewhere`), a named face's routine checks go there and vote when they come back,
// only for a face that has not changed since it was read; whatever can give a name stays on this thread,
// computed after the frame where that can be (`describeAfterFrame`: the next frame takes the votes), and in
// it where not, as every urgent check is. Where the second worker detects (`detectElsewhere`), the
// schedule's detections go there: their boxes are paired with the tracks as they were in the frame sent,
// and a detection at a cut or for a lost face stays here.
import { euclideanDistance } from './descriptor.js'
import { nameFaces, type Matching } from './assign.js'
import { matchDescriptor, type Decision, type DecisionRule } from './match.js'
import type { Box } from './model.js'
import { checkVoteOptions, IdentityVotes, iou, oneFacePerName, type TrackedFace, type VoteOptions } from './tracking.js'

export interface Point {
  x: number
  y: number
}

/** A face's landmarks fitted inside a search box. */
export interface FaceFit {
  /** The face's box as the detector would draw it, derived from the landmarks. */
  box: Box
  /** 68 points, in image coordinates. */
  landmarks: Point[]
  /** The box the descriptor network reads (face-api's dlib alignment of the landmarks). */
  alignedBox: Box
  /** A small gray thumbnail of `box`, zero mean and unit variance: what the face looks like. */
  appearance: Float32Array
}

/** What the tracker runs on one image: face-api in practice (live-ops.ts), anything in tests. */
export interface LiveOps<Image> {
  /** A small gray thumbnail of the whole image, gray levels 0–255: the scene-cut measure compares two. */
  frameSignature(image: Image): Promise<Float32Array>
  /** Every face the full detector finds. */
  detect(image: Image): Promise<Box[]>
  /** Landmarks fitted in each search box; null where none fit (a box off the image). */
  fit(image: Image, boxes: readonly Box[]): Promise<(FaceFit | null)[]>
  /** Each box's appearance thumbnail, made as `FaceFit.appearance` is: whether a face moved, without fitting it. */
  appearance(image: Image, boxes: readonly Box[]): Promise<Float32Array[]>
  /** One descriptor per fit; null where the face is too far off the image to describe. */
  describe(image: Image, fits: readonly FaceFit[]): Promise<(Float32Array | null)[]>
  /**
   * Descriptors computed off this thread (a second worker), for faces that can wait for them: resolves
   * once the faces are read from the image, which may then go; their descriptors come later, as
   * `describe` gives them. Null where nothing off this thread can take them now: they are computed here.
   */
  describeElsewhere?(image: Image, fits: readonly FaceFit[]): Promise<DescriptorsLater> | null
  /**
   * Descriptors computed once this frame is done and before the next one (in the recognition worker: after
   * it has answered the page), for faces whose votes are wanted by the next frame: resolves once the faces
   * are read from the image. Null where nothing can: they are computed in the frame.
   */
  describeAfterFrame?(image: Image, fits: readonly FaceFit[]): Promise<DescriptorsLater> | null
  /**
   * The full detector off this thread, for the schedule's detections: resolves once the image is read;
   * its boxes come later, as `detect` gives them. Null where nothing off this thread can take it now.
   */
  detectElsewhere?(image: Image): Promise<BoxesLater> | null
}

/** Descriptors on their way from another thread. */
export interface DescriptorsLater {
  descriptors: Promise<(Float32Array | null)[]>
}

/** A detection's boxes on their way from another thread. */
export interface BoxesLater {
  boxes: Promise<Box[]>
}

export interface LiveOptions extends VoteOptions {
  /** The full detector runs at least every this many frames… */
  detectEveryFrames: number
  /**
   * …and at least this often, whichever comes first: a face that comes into view is boxed within it. Where
   * another thread detects (`detectElsewhere`), its boxes come a round trip later: each is sent that much
   * sooner, and one not back after detectEveryMs gives way to one here.
   */
  detectEveryMs: number
  /** A named track's descriptor is computed again at least this often… */
  describeEveryMs: number
  /** …and an unknown one's this often, so that a known face seen badly at first is named soon. */
  describeUnknownEveryMs: number
  /**
   * Descriptors a frame computes at most, when several faces are due one: the rest wait for the next
   * frames. A named face that jumped, changed or was found again is described at once regardless.
   */
  describePerFrame: number
  /**
   * A cut changes the frame's signature (mean absolute gray-level change, as a share of 255) by at
   * least this much…
   */
  cutThreshold: number
  /** …and by this many times the median change of the frames since the last cut: a pan changes every frame. */
  cutContrast: number
  /** A fit whose box overlaps its search box less than this has lost the face. */
  minFitIoU: number
  /** Correlation between a track's appearance in two frames below which it is not the same face. */
  minAppearance: number
  /**
   * Between detections, a tracked face whose crop correlates with its last fit's appearance at least this
   * much has not moved: it keeps that fit, and the landmark network does not run on it.
   */
  stillAppearance: number
  /**
   * A descriptor this far from the track's previous one belongs to another person, unless its nearest
   * enrolled person is the track's name, nearer than this too: a named face turning to the camera.
   */
  identityBreak: number
  /** A face moving this share of its width in one frame has jumped: it is described again. */
  jump: number
  /**
   * A track the detector has not found for longer than this, in the time of the frames it read, is dropped
   * at the next detection that misses it: a time, so that detections sent more often drop no sooner.
   */
  maxUndetectedMs: number
}

// Measured on the fixture clip (bench/RECOGNITION.md, `npm run eval:video`):
// - cuts change the 32x18 signature by 0.10 or more of full scale, a camera pan by up to 0.094 over 100 ms
//   but then every frame changes: over 100 ms or less, every cut is found and no pan taken for one;
// - one face's appearance in consecutive frames correlates at 0.5 or more (0.6 or more for a face of 100 px and more);
// - face-api descriptors of one person are under 0.6 apart in 99% of the verification set's genuine pairs.
export const defaultLiveOptions: Readonly<LiveOptions> = Object.freeze({
  detectEveryFrames: 8,
  detectEveryMs: 200,
  describeEveryMs: 500,
  describeUnknownEveryMs: 200,
  describePerFrame: 1,
  cutThreshold: 0.07,
  cutContrast: 2,
  minFitIoU: 0.4,
  minAppearance: 0.4,
  stillAppearance: 0.98,
  identityBreak: 0.6,
  jump: 0.5,
  maxUndetectedMs: 200,
  voteWindow: 7,
  minVotes: 3,
})

export function checkLiveOptions(options: LiveOptions): void {
  checkVoteOptions(options)
  const { detectEveryFrames, detectEveryMs, describeEveryMs, describeUnknownEveryMs, describePerFrame, maxUndetectedMs } = options
  if (!Number.isInteger(detectEveryFrames) || detectEveryFrames < 1) throw new RangeError(`detectEveryFrames is at least 1, not ${detectEveryFrames}`)
  if (!Number.isInteger(describePerFrame) || describePerFrame < 1) throw new RangeError(`describePerFrame is at least 1, not ${describePerFrame}`)
  for (const [name, value] of Object.entries({ detectEveryMs, describeEveryMs, describeUnknownEveryMs, maxUndetectedMs })) {
    if (!(value >= 0)) throw new RangeError(`${name} is a number of milliseconds, not ${value}`)
  }
  for (const name of ['cutThreshold', 'cutContrast', 'minFitIoU', 'minAppearance', 'stillAppearance', 'identityBreak', 'jump'] as const) {
    if (!Number.isFinite(options[name])) throw new RangeError(`${name} is a number, not ${options[name]}`)
  }
}

/** Why a track was dropped, for the readouts and the tests. */
export type DropReason = 'cut' | 'fit' | 'appearance' | 'undetected' | 'duplicate'

export interface LiveFace extends TrackedFace {
  landmarks: Point[]
  /** Whether the face got a descriptor in this frame, and the decision it gave. */
  described: boolean
  decision: Decision | null
  /** Which cut the face was seen after: its votes are all from frames since that cut. */
  scene: number
}

export interface LiveStep {
  faces: LiveFace[]
  /** Whether the full detector ran on this frame, here… */
  detected: boolean
  /** …or this frame went to be detected elsewhere (its boxes come on a later frame)… */
  detectionSent: boolean
  /** …and whether this frame took the boxes of an earlier frame's detection, computed elsewhere. */
  detectionArrived: boolean
  /** Whether this frame starts a new scene (a cut, or the first frame). */
  cut: boolean
  scene: number
  /** Tracks dropped in this frame, and why. */
  dropped: { id: number; reason: DropReason }[]
  /** Faces whose descriptor, computed elsewhere from an earlier frame, arrived in this one… */
  describedElsewhere: number
  /** …and those whose descriptor was read from the frame before and computed once it was done. */
  describedAfterFrame: number
  timings: LiveTimings
}

/** Milliseconds this frame spent in each operation, for the readouts and the benchmarks. */
export interface LiveTimings {
  signature: number
  detect: number
  fit: number
  describe: number
}

interface Track {
  id: number
  box: Box
  fit: FaceFit | null
  votes: IdentityVotes
  descriptor: Float32Array | null
  describedAt: number
  missedDetections: number
  /** The time of the frame in which a detection last found the face (or started the track). */
  foundAt: number
  /** Set when the face jumped or the detector found it again after missing it: describe it now. */
  recheck: boolean
  /**
   * Descriptors still to take at once, one a frame, after one that was far from the last but still nearest
   * the track's name: if the face is someone else after all, their votes outnumber the old ones within as many frames.
   */
  confirming: number
  /**
   * Whether the last fit agreed with the box it searched (overlap settledFit or more): the landmarks have
   * settled on the face, so a face that has not moved since may keep them. A fit from a detector's box, or
   * from a box the face moved out of, is fitted again on the next frame.
   */
  settled: boolean
  /**
   * Counts the times the face in the track's box may have changed (it jumped, looked different, was found
   * again): a descriptor read from an earlier frame than the last change is not this face's.
   */
  generation: number
}

/** Descriptors being computed elsewhere: the tracks they are for, as each was when its face was read. */
interface ElsewhereJob {
  /** Computed after the frame it was read from (describeAfterFrame), not by the other thread. */
  afterFrame: boolean
  faces: { track: Track; generation: number; readAt: number }[]
  /** Set when the descriptors arrive; failed when they never will. */
  descriptors: (Float32Array | null)[] | null
  failed: boolean
}

/** A detection being computed elsewhere, of the frame it was sent with. */
interface DetectionJob {
  sentAt: number
  /** Each track's box in that frame: the boxes are paired with these, as the faces were then. */
  boxesThen: Map<Track, Box>
  /** Set when the boxes arrive; failed when they never will. */
  boxes: Box[] | null
  failed: boolean
  /** Set when the detector ran here since (as it does at every cut): these boxes are older than what the tracks know. */
  superseded: boolean
}

/** Where a frame looks for a face: a track's last box or its detection, or a detection no track follows yet. */
interface Search {
  track: Track | null
  box: Box
  fromDetection: boolean
}

/** Pearson correlation of two thumbnails that each have zero mean and unit variance. */
export function appearanceSimilarity(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length || a.length === 0) return 0
  let sum = 0
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!
  return sum / a.length
}

/** Mean absolute difference of two frame signatures, as a share of full scale (255). */
export function frameChange(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length || a.length === 0) return 1
  let sum = 0
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]! - b[i]!)
  return sum / a.length / 255
}

/** A fit overlapping the box it searched this much has settled on the face (Track.settled). */
const settledFit = 0.9

/** Frames a scene has before the next cut can be told from how much its frames change. */
const framesBeforeCut = 3

function median(values: readonly number[]): number {
  if (!values.length) return 0
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}

function centerShift(a: Box, b: Box): number {
  const dx = a.x + a.width / 2 - (b.x + b.width / 2)
  const dy = a.y + a.height / 2 - (b.y + b.height / 2)
  return Math.hypot(dx, dy) / Math.max(1, a.width)
}

/**
 * Greedy pairs of tracks and detections, closest first (older tracks first on a tie): `closeness`
 * gives how well a detection fits a track, higher is closer, null for no pair.
 */
function pairGreedily(tracks: readonly Track[], boxes: readonly Box[], closeness: (track: Track, box: Box) => number | null): Map<Track, number> {
  const pairs = tracks.flatMap((track, trackIndex) =>
    boxes.flatMap((box, boxIndex) => {
      const score = closeness(track, box)
      return score === null ? [] : [{ trackIndex, boxIndex, score }]
    }),
  )
  pairs.sort((a, b) => b.score - a.score || a.trackIndex - b.trackIndex || a.boxIndex - b.boxIndex)
  const boxOf = new Map<Track, number>()
  const taken = new Set<number>()
  for (const { trackIndex, boxIndex } of pairs) {
    const track = tracks[trackIndex]!
    if (boxOf.has(track) || taken.has(boxIndex)) continue
    boxOf.set(track, boxIndex)
    taken.add(boxIndex)
  }
  return boxOf
}

/** Tracks and detections that overlap at least `minIoU`, largest overlap first; `boxOf` is where each track was. */
function pairByOverlap(tracks: readonly Track[], boxes: readonly Box[], minIoU: number, boxOf: (track: Track) => Box = (track) => track.box): Map<Track, number> {
  return pairGreedily(tracks, boxes, (track, box) => {
    const overlap = iou(boxOf(track), box)
    return overlap >= minIoU && overlap > 0 ? overlap : null
  })
}

/** `box`, found when a face was at `then`, moved and scaled as the face has since: it is at `now`. */
function carried(box: Box, then: Box, now: Box): Box {
  const scaleX = now.width / Math.max(1, then.width)
  const scaleY = now.height / Math.max(1, then.height)
  const width = box.width * scaleX
  const height = box.height * scaleY
  const centerX = now.x + now.width / 2 + (box.x + box.width / 2 - (then.x + then.width / 2)) * scaleX
  const centerY = now.y + now.height / 2 + (box.y + box.height / 2 - (then.y + then.height / 2)) * scaleY
  return { x: centerX - width / 2, y: centerY - height / 2, width, height }
}

/**
 * Lost tracks and the detections that may be their faces, moved fast: the nearest center within one
 * face width, at a size within a factor of 1.5. The face's own descriptor, taken in the same frame,
 * then tells whether it is the same person (#vote).
 */
function pairByReach(tracks: readonly Track[], boxes: readonly Box[]): Map<Track, number> {
  return pairGreedily(tracks, boxes, (track, box) => {
    const shift = centerShift(track.box, box)
    const scale = box.width / Math.max(1, track.box.width)
    return shift <= 1 && scale >= 1 / 1.5 && scale <= 1.5 ? -shift : null
  })
}

/**
 * Waits until work sent elsewhere has read its image; `receive` takes the answer once it comes, and
 * `job.failed` is set where it never will.
 */
async function follow<Later, Answer>(started: Promise<Later>, answerOf: (later: Later) => Promise<Answer>, job: { failed: boolean }, receive: (answer: Answer) => void): Promise<void> {
  try {
    answerOf(await started).then(receive, () => (job.failed = true))
  } catch {
    job.failed = true
  }
}

export class LiveTracker<Image> {
  readonly #ops: LiveOps<Image>
  readonly #options: LiveOptions
  #tracks: Track[] = []
  #nextId = 1
  #signature: Float32Array | null = null
  /** The changes between the frames since the last cut, the latest ten. */
  #changes: number[] = []
  #scene = 0
  #framesSinceDetection = Infinity
  #detectedAt = -Infinity
  #lostTrack = false
  /** Whether the last frame described a face that could have waited. */
  #describedLastFrame = false
  /** The descriptors computed elsewhere (at most one batch at a time) and after a frame. */
  #jobs: ElsewhereJob[] = []
  /** The detection computed elsewhere, at most one at a time, and the last one's round trip in ms. */
  #detecting: DetectionJob | null = null
  #detectionRoundTrip = 0

  constructor(ops: LiveOps<Image>, options: Partial<LiveOptions> = {}) {
    this.#ops = ops
    this.#options = { ...defaultLiveOptions, ...options }
    checkLiveOptions(this.#options)
  }

  /** A new camera or a new start: nothing carries over from the frames before. */
  reset(): void {
    this.#tracks = []
    this.#signature = null
    this.#changes = []
    this.#framesSinceDetection = Infinity
    this.#describedLastFrame = false
    this.#detectedAt = -Infinity
    this.#jobs = []
    this.#detecting = null
    this.#detectionRoundTrip = 0
  }

  /**
   * One frame: `now` in milliseconds. `gallery` names the faces (a gallery, or the server holding
   * it: a request only for the faces due a descriptor); with null, faces are tracked but not named. The faces
   * come back in the order of their tracks, oldest first, at most one face per name.
   */
  async step(image: Image, now: number, gallery: Matching | null, rule: DecisionRule): Promise<LiveStep> {
    const options = this.#options
    const dropped: LiveStep['dropped'] = []
    const drop = (track: Track, reason: DropReason) => dropped.push({ id: track.id, reason })

    const timings: LiveTimings = { signature: 0, detect: 0, fit: 0, describe: 0 }
    const timed = async <T>(op: keyof LiveTimings, run: () => Promise<T>): Promise<T> => {
      const started = performance.now()
      try {
        return await run()
      } finally {
        timings[op] += performance.now() - started
      }
    }
    const signature = await timed('signature', () => this.#ops.frameSignature(image))
    const change = this.#signature ? frameChange(this.#signature, signature) : Infinity
    const cut = change === Infinity || (this.#changes.length >= framesBeforeCut && change >= options.cutThreshold && change >= options.cutContrast * median(this.#changes))
    this.#signature = signature
    this.#changes = cut ? [] : [...this.#changes.slice(-9), change]
    if (cut) {
      this.#scene++
      for (const track of this.#tracks) drop(track, 'cut')
      this.#tracks = []
    }

    const arrived = this.#takeDetection(now)
    const where = await this.#whereToDetect(image, now, cut)
    let detected = where === 'here'
    // Each track's search box: its detection where the detector found it, else its last box.
    let searches: Search[] = this.#tracks.map((track) => ({ track, box: track.box, fromDetection: false }))
    // This frame's own detection, or the boxes of an earlier frame's, paired with the tracks as they were then.
    const detection = detected
      ? { boxes: await timed('detect', () => this.#detectHere(image, now)), then: null, readAt: now }
      : arrived && { boxes: arrived.boxes!, then: arrived.boxesThen, readAt: arrived.sentAt }
    /** When the faces this frame's detection finds were where it found them: new tracks start found then. */
    const foundAt = detection?.readAt ?? now
    if (detection) {
      const { boxes, then } = detection
      const boxOf = pairByOverlap(then ? this.#tracks.filter((track) => then.has(track)) : this.#tracks, boxes, 0.3, (track) => then?.get(track) ?? track.box)
      for (const search of searches) {
        const track = search.track!
        if (then && !then.has(track)) continue
        const index = boxOf.get(track)
        if (index === undefined) {
          track.missedDetections++
          continue
        }
        if (track.missedDetections > 0) this.#recheck(track)
        track.missedDetections = 0
        track.foundAt = foundAt
        search.box = then ? carried(boxes[index]!, then.get(track)!, track.box) : boxes[index]!
        search.fromDetection = true
      }
      searches = searches.filter(({ track }) => {
        const undetected = track!.missedDetections > 0 && foundAt - track!.foundAt > options.maxUndetectedMs
        if (undetected) drop(track!, 'undetected')
        return !undetected
      })
      const paired = new Set(boxOf.values())
      boxes.forEach((box, index) => {
        if (!paired.has(index)) searches.push({ track: null, box, fromDetection: true })
      })
    }
    const detectionArrived = !detected && detection !== null
    if (!detected && where !== 'elsewhere') this.#framesSinceDetection++

    const fits = searches.length ? await timed('fit', () => this.#fitSearches(image, searches)) : []
    const kept: Track[] = []
    /**
     * Tracks that lost their face between detections, and how: the landmarks no longer fit it, or the crop
     * no longer looks like the last one. The detector looks for them in this frame.
     */
    const lost = new Map<Track, DropReason>()
    searches.forEach(({ track, box, fromDetection }, index) => {
      const fit = fits[index] ?? null
      if (!fit || iou(fit.box, box) < options.minFitIoU) {
        if (track && !detected) lost.set(track, 'fit')
        else if (track) drop(track, 'fit')
        return
      }
      if (!track) {
        kept.push(this.#newTrack(fit, foundAt))
        return
      }
      if (track.fit && appearanceSimilarity(track.fit.appearance, fit.appearance) < options.minAppearance) {
        // Someone else where the track was, the same face moving fast, or landmarks sliding off it. With
        // nothing to tell by, the track ends: where the detector found the face, it starts a track of its own.
        if (!gallery || !track.descriptor) {
          drop(track, 'appearance')
          if (fromDetection) kept.push(this.#newTrack(fit, foundAt))
          return
        }
        // Between detections, the detector looks for the face as for a lost one: a box it finds starts the
        // fit again. Either way the face's own descriptor tells, in this frame, whether it is the same person (#vote).
        if (!detected) {
          lost.set(track, 'appearance')
          return
        }
        this.#recheck(track)
      }
      if (centerShift(track.box, fit.box) > options.jump) this.#recheck(track)
      track.settled = iou(fit.box, box) >= settledFit
      track.box = fit.box
      track.fit = fit
      kept.push(track)
    })
    if (lost.size) {
      // A face moving fast or turning: where the detector finds it again, its track goes on, described at once.
      const boxes = await timed('detect', () => this.#detectHere(image, now))
      detected = true
      const lostTracks = [...lost.keys()]
      const boxOf = pairByReach(lostTracks, boxes)
      const found = lostTracks.filter((track) => boxOf.has(track))
      const refits = found.length ? await timed('fit', () => this.#ops.fit(image, found.map((track) => boxes[boxOf.get(track)!]!))) : []
      for (const [track, reason] of lost) {
        const position = found.indexOf(track)
        const fit = refits[position] ?? null
        if (position < 0 || !fit || iou(fit.box, boxes[boxOf.get(track)!]!) < options.minFitIoU) {
          drop(track, reason)
          continue
        }
        track.box = fit.box
        track.fit = fit
        track.settled = false
        track.missedDetections = 0
        track.foundAt = now
        this.#recheck(track)
        kept.push(track)
      }
      // Faces the detector found that no track follows: they start tracks of their own, as at any detection.
      const paired = new Set(boxOf.values())
      const fresh = boxes.filter((box, index) => !paired.has(index) && !kept.some((track) => iou(track.box, box) >= 0.3))
      const freshFits = fresh.length ? await timed('fit', () => this.#ops.fit(image, fresh)) : []
      fresh.forEach((box, index) => {
        const fit = freshFits[index]
        if (fit && iou(fit.box, box) >= options.minFitIoU) kept.push(this.#newTrack(fit, now))
      })
    }
    // Two tracks that converged on one face: the older keeps it.
    kept.sort((a, b) => a.id - b.id)
    this.#tracks = []
    for (const track of kept) {
      if (this.#tracks.some((older) => iou(older.box, track.box) > 0.5)) drop(track, 'duplicate')
      else this.#tracks.push(track)
    }

    const decisionOf = new Map<Track, Decision>()
    const { describedElsewhere, describedAfterFrame } = await this.#takeElsewhere(gallery, rule, decisionOf)
    let toDescribe = gallery ? await this.#describeNowOrElsewhere(image, now, detected, cut) : []
    if (toDescribe.length) {
      const descriptors = await timed('describe', () => this.#ops.describe(image, toDescribe.map((track) => track.fit!)))
      toDescribe = toDescribe.filter((_, index) => descriptors[index])
      const found = descriptors.filter((descriptor) => descriptor !== null)
      // One frame's faces are named together: one person goes to at most one of them.
      const decisions = found.length ? await nameFaces(gallery!, found, rule) : []
      toDescribe.forEach((track, index) => {
        this.#vote(track, found[index]!, decisions[index]!, now, gallery!)
        decisionOf.set(track, decisions[index]!)
      })
    }

    const faces = oneFacePerName(
      this.#tracks.map((track) => ({ id: track.id, box: track.box, name: gallery ? track.votes.name : null, distance: gallery ? track.votes.distance : null })),
    ).map((face, index): LiveFace => {
      const track = this.#tracks[index]!
      return { ...face, landmarks: track.fit!.landmarks, decision: decisionOf.get(track) ?? null, described: decisionOf.has(track), scene: this.#scene }
    })
    // A track lost where the detector did not run: it looks on the next frame.
    this.#lostTrack = !detected && dropped.some(({ reason }) => reason !== 'undetected')
    // The detection sent from this frame pairs its boxes with the tracks as they are in it.
    if (where === 'elsewhere') for (const track of this.#tracks) this.#detecting?.boxesThen.set(track, track.box)
    return {
      faces,
      detected,
      detectionSent: where === 'elsewhere',
      detectionArrived,
      cut,
      scene: this.#scene,
      dropped,
      describedElsewhere,
      describedAfterFrame,
      timings,
    }
  }

  /**
   * Where this frame's detection runs. Here at a cut or for a face lost on the last frame: its faces are
   * to be found now. The schedule's goes elsewhere where it can, one at a time, sent the last one's round
   * trip before detectEveryMs is up, so that its boxes come as often (at once after one that failed);
   * here, every detectEveryMs, where nothing elsewhere takes it or one sent has been on its way that long.
   */
  async #whereToDetect(image: Image, now: number, cut: boolean): Promise<'here' | 'elsewhere' | null> {
    const { detectEveryFrames, detectEveryMs } = this.#options
    if (cut || this.#lostTrack) return 'here'
    const framesDue = this.#framesSinceDetection + 1 >= detectEveryFrames
    const hereDue = framesDue || now - this.#detectedAt >= detectEveryMs
    if (this.#detecting) return hereDue && now - this.#detecting.sentAt >= detectEveryMs ? 'here' : null
    if (!framesDue && now - this.#detectedAt < detectEveryMs - this.#detectionRoundTrip) return null
    const started = this.#ops.detectElsewhere?.(image) ?? null
    if (!started) return hereDue ? 'here' : null
    const job: DetectionJob = { sentAt: now, boxesThen: new Map(), boxes: null, failed: false, superseded: false }
    this.#detecting = job
    this.#framesSinceDetection = 0
    this.#detectedAt = now
    await follow(started, ({ boxes }) => boxes, job, (found) => (job.boxes = found))
    return 'elsewhere'
  }

  /** The full detector, here: a detection on its way from elsewhere is older than its boxes. */
  async #detectHere(image: Image, now: number): Promise<Box[]> {
    if (this.#detecting) this.#detecting.superseded = true
    this.#framesSinceDetection = 0
    this.#detectedAt = now
    return this.#ops.detect(image)
  }

  /**
   * The detection computed elsewhere, once its boxes are here and still of use: the detector has not run
   * here since (it does at every cut). Frees the way for the next.
   */
  #takeDetection(now: number): DetectionJob | null {
    const job = this.#detecting
    if (!job || (!job.boxes && !job.failed)) return null
    this.#detecting = null
    if (job.boxes) this.#detectionRoundTrip = now - job.sentAt
    // One that failed found nothing: the next is due at once.
    if (job.failed && !job.superseded) this.#detectedAt = -Infinity
    return job.boxes && !job.superseded ? job : null
  }

  /** The face in the track's box may have changed: describe it now, and take no descriptor read before. */
  #recheck(track: Track): void {
    track.recheck = true
    track.generation++
  }

  /**
   * The descriptors computed elsewhere or after a frame, once they are here: each votes for its track where
   * the track goes on, with the same face as when it was read (no cut, jump or change since). Answers how
   * many did, of each kind.
   */
  async #takeElsewhere(gallery: Matching | null, rule: DecisionRule, decisionOf: Map<Track, Decision>): Promise<{ describedElsewhere: number; describedAfterFrame: number }> {
    const done = this.#jobs.filter((job) => job.descriptors || job.failed)
    this.#jobs = this.#jobs.filter((job) => !done.includes(job))
    const arrived = done.flatMap((job) =>
      job.faces.flatMap(({ track, generation, readAt }, index) => {
        const descriptor = job.descriptors?.[index]
        return descriptor && this.#tracks.includes(track) && track.generation === generation ? [{ track, descriptor, readAt, afterFrame: job.afterFrame }] : []
      }),
    )
    if (!arrived.length || !gallery) return { describedElsewhere: 0, describedAfterFrame: 0 }
    const decisions = await nameFaces(gallery, arrived.map(({ descriptor }) => descriptor), rule)
    arrived.forEach(({ track, descriptor, readAt }, index) => {
      this.#vote(track, descriptor, decisions[index]!, readAt, gallery)
      decisionOf.set(track, decisions[index]!)
    })
    const describedAfterFrame = arrived.filter(({ afterFrame }) => afterFrame).length
    return { describedElsewhere: arrived.length - describedAfterFrame, describedAfterFrame }
  }

  /**
   * The tracks to describe in this frame, here. Where another thread can compute descriptors, a named
   * face's routine checks go there, a batch at a time (the tracks in the batch wait for it). The
   * descriptors that can give a name are wanted by the next frame, or a known face would be named later:
   * a young face's votes and an unknown face's checks are computed here, or once the frame is done where
   * that can be (describeAfterFrame). The urgent ones, a named face that may have become someone else,
   * are always computed here.
   */
  async #describeNowOrElsewhere(image: Image, now: number, detected: boolean, cut: boolean): Promise<Track[]> {
    // A face whose descriptor is on its way waits for it, unless it changed since (that one will not count).
    const waiting = new Set(this.#jobs.flatMap(({ faces }) => faces.flatMap(({ track, generation }) => (track.generation === generation ? [track] : []))))
    const due = this.#tracks.filter((track) => this.#needsDescriptor(track, now) && (this.#urgent(track) || !waiting.has(track)))
    const routine = this.#ops.describeElsewhere ? due.filter((track) => !this.#urgent(track) && track.votes.name !== null && !this.#young(track)) : []
    let here = due.filter((track) => !routine.includes(track))
    const later = this.#jobs.some((job) => !job.afterFrame) ? [] : this.#waiting(routine, detected, cut).slice(0, this.#options.describePerFrame)
    if (later.length && !(await this.#send(image, now, later, false))) here = due
    const chosen = this.#describedNow(here, detected, cut)
    const afterFrame = this.#ops.describeAfterFrame ? chosen.filter((track) => !this.#urgent(track)) : []
    if (afterFrame.length && (await this.#send(image, now, afterFrame, true))) return chosen.filter((track) => !afterFrame.includes(track))
    return chosen
  }

  /** Sends the tracks' faces to be described elsewhere, or after the frame; false where that cannot take them now. */
  async #send(image: Image, now: number, tracks: Track[], afterFrame: boolean): Promise<boolean> {
    const fits = tracks.map((track) => track.fit!)
    const started = afterFrame ? this.#ops.describeAfterFrame?.(image, fits) : this.#ops.describeElsewhere?.(image, fits)
    if (!started) return false
    const job: ElsewhereJob = { afterFrame, faces: tracks.map((track) => ({ track, generation: track.generation, readAt: now })), descriptors: null, failed: false }
    this.#jobs.push(job)
    await follow(started, ({ descriptors }) => descriptors, job, (computed) => (job.descriptors = computed))
    return true
  }

  /**
   * The landmarks in each search box. A track followed between detections whose crop still looks as it did
   * at its last fit keeps that fit: a face that has not moved costs a thumbnail, not the landmark network.
   */
  async #fitSearches(image: Image, searches: readonly Search[]): Promise<(FaceFit | null)[]> {
    const followed = searches.flatMap(({ track, fromDetection }, index) => (track?.fit && track.settled && !fromDetection ? [{ fit: track.fit, index }] : []))
    const looks = followed.length ? await this.#ops.appearance(image, followed.map(({ fit }) => fit.box)) : []
    const kept = new Map<number, FaceFit>()
    followed.forEach(({ fit, index }, position) => {
      if (appearanceSimilarity(fit.appearance, looks[position]!) >= this.#options.stillAppearance) kept.set(index, fit)
    })
    const toFit = searches.flatMap(({ box }, index) => (kept.has(index) ? [] : [{ box, index }]))
    const fitted = toFit.length ? await this.#ops.fit(image, toFit.map(({ box }) => box)) : []
    const fitOf = new Map(toFit.map(({ index }, position) => [index, fitted[position] ?? null]))
    return searches.map((_, index) => kept.get(index) ?? fitOf.get(index) ?? null)
  }

  #newTrack(fit: FaceFit, foundAt: number): Track {
    const track: Track = {
      id: this.#nextId++,
      box: fit.box,
      fit,
      votes: new IdentityVotes(this.#options),
      descriptor: null,
      describedAt: -Infinity,
      missedDetections: 0,
      foundAt,
      recheck: true,
      confirming: 0,
      settled: false,
      generation: 0,
    }
    return track
  }

  /**
   * Jumped or found again; young (fewer than minVotes votes, or unknown with its vote window not yet
   * full: a known face seen badly at first is named within a few frames); or not described for a while.
   */
  #needsDescriptor(track: Track, now: number): boolean {
    const { describeEveryMs, describeUnknownEveryMs } = this.#options
    const unknown = track.votes.name === null
    return this.#checking(track) || this.#young(track) || now - track.describedAt >= (unknown ? describeUnknownEveryMs : describeEveryMs)
  }

  /** Whether the track's face is to be described at once: it jumped, changed, was found again, or a far descriptor is being confirmed. */
  #checking(track: Track): boolean {
    return track.recheck || track.confirming > 0
  }

  #young(track: Track): boolean {
    const { minVotes, voteWindow } = this.#options
    return track.votes.count < minVotes || (track.votes.name === null && track.votes.count < voteWindow)
  }

  /**
   * Which of the tracks due a descriptor get one in this frame. A named track whose face jumped, changed
   * or was found again, or whose last descriptor was far from the one before, always does: it shows a
   * name that may no longer be its own. The others take turns, `describePerFrame` a frame, so that one
   * frame does not carry many descriptors: faces never described first, then named ones (the oldest
   * check first), then those with the fewest votes. With more than one face in view, none of them on
   * the frame after one that described a face (#waiting: what a detection frame takes).
   */
  #describedNow(due: Track[], detected: boolean, cut: boolean): Track[] {
    const describedLastFrame = this.#describedLastFrame && !cut
    this.#describedLastFrame = false
    const urgent = due.filter((track) => this.#urgent(track))
    // With several faces in view their fits alone make a frame slow: what can wait skips the frame after a descriptor.
    const budget = this.#tracks.length > 1 && describedLastFrame ? 0 : this.#options.describePerFrame - urgent.length
    if (budget <= 0) return urgent
    const chosen = new Set([...urgent, ...this.#waiting(due, detected, cut).slice(0, budget)])
    this.#describedLastFrame = chosen.size > urgent.length
    // In the order of the tracks, as the faces are named together.
    return due.filter((track) => chosen.has(track))
  }

  /** A named face that jumped, changed or was found again, or whose far descriptor is being confirmed: it is described at once. */
  #urgent(track: Track): boolean {
    return this.#checking(track) && track.votes.name !== null
  }

  /**
   * The due tracks that can wait, in their turn. A frame that ran the detector takes only tracks still
   * voting (a new face waits for the next frame, and so does a named face's routine check), but for a
   * cut: there every face is new, and the first is described at once.
   */
  #waiting(due: readonly Track[], detected: boolean, cut: boolean): Track[] {
    return due
      .filter((track) => !this.#urgent(track) && (!detected || cut || (track.describedAt > -Infinity && this.#young(track))))
      .sort((a, b) => this.#turn(a) - this.#turn(b) || (a.votes.name !== null ? 0 : a.votes.count - b.votes.count) || a.describedAt - b.describedAt || a.id - b.id)
  }

  /** Who is described first: faces never described, then named ones (their check), then the rest. */
  #turn(track: Track): number {
    if (track.describedAt === -Infinity) return 0
    return track.votes.name !== null ? 1 : 2
  }

  #vote(track: Track, descriptor: Float32Array, decision: Decision, now: number, gallery: Matching): void {
    const { identityBreak, minVotes } = this.#options
    const far = track.descriptor !== null && euclideanDistance(track.descriptor, descriptor) >= identityBreak
    if (!far) {
      track.confirming = Math.max(0, track.confirming - 1)
    } else if (this.#stillNamed(track, descriptor, gallery)) {
      track.confirming = minVotes
    } else {
      track.votes.reset()
      track.confirming = 0
    }
    track.votes.add(decision)
    track.descriptor = descriptor
    track.describedAt = now
    track.recheck = false
  }

  /**
   * Whether a descriptor is still the person the track is named: that person nearest, within identityBreak.
   * Only a gallery held here can tell; where the server holds it, a far descriptor always starts the votes again.
   */
  #stillNamed(track: Track, descriptor: Float32Array, gallery: Matching): boolean {
    if (track.votes.name === null || 'nameFaces' in gallery) return false
    const [nearest] = matchDescriptor(gallery, descriptor)
    return nearest?.name === track.votes.name && nearest.distance < this.#options.identityBreak
  }
}
