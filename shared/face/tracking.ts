// Identity across the frames of a live video: a face keeps its track while its box overlaps its last
// one, and the name shown is a vote over the track's last decisions, so one noisy frame does not
// flash a wrong name.
import type { Decision } from './match.js'
import type { Box } from './model.js'

/** Intersection over union: 1 for the same box, 0 for boxes that do not overlap or have no area. */
export function iou(a: Box, b: Box): number {
  const width = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x)
  const height = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y)
  if (width <= 0 || height <= 0) return 0
  const intersection = width * height
  return intersection / (a.width * a.height + b.width * b.height - intersection)
}

export interface RefreshOptions {
  /** A box that overlaps the last described one at least this much has barely moved. */
  minIoU?: number
  /** A descriptor this many frames old is computed again however still the face is. */
  maxAge?: number
}

/**
 * Whether a tracked face needs a new descriptor, or may keep its last decision: it may when its box
 * barely moved since that descriptor (`previousBox`, null when it has none) and the descriptor is
 * younger than `maxAge` frames.
 */
export function shouldRefresh(
  previousBox: Box | null,
  box: Box,
  framesSinceDescriptor: number,
  { minIoU = 0.9, maxAge = 5 }: RefreshOptions = {},
): boolean {
  return previousBox === null || framesSinceDescriptor >= maxAge || iou(previousBox, box) < minIoU
}

export interface Detection {
  box: Box
  /** null: the face got no descriptor this frame (`FaceTracker.needsDescriptor`), so it casts no vote. */
  decision: Decision | null
}

export interface TrackedFace {
  /** Stable while the face is tracked; never given again by the same tracker. */
  id: number
  box: Box
  /** The label won by the vote; null: unknown. */
  name: string | null
  /** The distance of the latest decision in the window that agrees with `name`; null when none does. */
  distance: number | null
  /** Frames the face was detected in, this one included. */
  age: number
  /** The `now` of the first frame the face was detected in. */
  since: number
}

export interface TrackerOptions {
  /** A detection continues a track only if its box overlaps the track's last box at least this much (and at all). */
  minIoU: number
  /** How many frames in a row a face may go undetected and still keep its track. */
  maxMissedFrames: number
  /** How many of a track's latest decisions vote. */
  voteWindow: number
  /** Votes a name needs to replace the current label (fewer while a track has seen fewer frames). */
  minVotes: number
}

export const defaultTrackerOptions: Readonly<TrackerOptions> = Object.freeze({
  minIoU: 0.3,
  maxMissedFrames: 5,
  voteWindow: 7,
  minVotes: 3,
})

interface Track {
  id: number
  box: Box
  name: string | null
  votes: Decision[]
  age: number
  missed: number
  /** The box of the frame that gave the latest descriptor, and the frames since. */
  describedBox: Box | null
  sinceDescribed: number
  since: number
}

function checkOptions(options: TrackerOptions): void {
  const { minIoU, maxMissedFrames, voteWindow, minVotes } = options
  if (!(minIoU >= 0 && minIoU <= 1)) throw new RangeError(`minIoU is between 0 and 1, not ${minIoU}`)
  if (!Number.isInteger(maxMissedFrames) || maxMissedFrames < 0) {
    throw new RangeError(`maxMissedFrames is a whole number of frames, not ${maxMissedFrames}`)
  }
  if (!Number.isInteger(voteWindow) || voteWindow < 1) throw new RangeError(`voteWindow is at least 1, not ${voteWindow}`)
  if (!Number.isInteger(minVotes) || minVotes < 1 || minVotes > voteWindow) {
    throw new RangeError(`minVotes is between 1 and voteWindow (${voteWindow}), not ${minVotes}`)
  }
}

/** What a decision votes for: the name it gives, else the person it is a tentative match for, else unknown. */
function votedFor(decision: Decision): string | null {
  return decision.name ?? decision.tentative
}

/**
 * The label after a new vote: the most voted one, if it has enough votes; ties keep the current label.
 * A name that no vote of the window gave outright, only tentative matches, needs `minVotes` however
 * young the track, and more than half of the window: a stranger who looks like someone in a few frames
 * stays unknown, a known face seen small or blurred in most of its frames is named.
 */
function votedLabel(track: Track, minVotes: number): string | null {
  const counts = new Map<string | null, number>()
  for (const vote of track.votes) counts.set(votedFor(vote), (counts.get(votedFor(vote)) ?? 0) + 1)
  const most = Math.max(...counts.values())
  const leaders = [...counts].filter(([, count]) => count === most).map(([name]) => name)
  const leader = leaders[0]!
  if (leaders.length > 1 || leader === track.name) return track.name
  const outright = leader === null || track.votes.some((vote) => vote.name === leader)
  const enough = outright ? most >= Math.min(minVotes, track.votes.length) : most >= minVotes && most * 2 > track.votes.length
  return enough ? leader : track.name
}

function view(track: Track): TrackedFace {
  const agreeing = track.votes.findLast((vote) => votedFor(vote) === track.name)
  return {
    id: track.id,
    box: track.box,
    name: track.name,
    distance: agreeing?.distance ?? null,
    age: track.age,
    since: track.since,
  }
}

export class FaceTracker {
  readonly #options: TrackerOptions
  #tracks: Track[] = []
  #nextId = 1

  constructor(options: Partial<TrackerOptions> = {}) {
    this.#options = { ...defaultTrackerOptions, ...options }
    checkOptions(this.#options)
  }

  /**
   * Whether a face detected at `box` needs a descriptor this frame: true unless it continues a track
   * (the track it overlaps most, at least `minIoU`) that barely moved since its latest descriptor and
   * had one recently (`shouldRefresh`). A face that is not described keeps its track's label and casts
   * no vote: pass it to `update` with a null decision.
   */
  needsDescriptor(box: Box, refresh: RefreshOptions = {}): boolean {
    let best: Track | undefined
    let bestOverlap = 0
    for (const track of this.#tracks) {
      const overlap = iou(track.box, box)
      if (overlap >= this.#options.minIoU && overlap > bestOverlap) [best, bestOverlap] = [track, overlap]
    }
    if (!best || best.votes.length === 0) return true
    return shouldRefresh(best.describedBox, box, best.sinceDescribed, refresh)
  }

  /**
   * Takes one frame's detections and gives back, in the same order, the tracked face each one is.
   * Tracks pair with detections greedily, largest overlap first; a detection left over starts a new
   * track, and a track left over counts a missed frame.
   */
  update(detections: readonly Detection[], now: number): TrackedFace[] {
    const { minIoU, maxMissedFrames, voteWindow, minVotes } = this.#options
    const pairs = this.#tracks.flatMap((track, trackIndex) =>
      detections.flatMap((detection, detectionIndex) => {
        const overlap = iou(track.box, detection.box)
        return overlap >= minIoU && overlap > 0 ? [{ trackIndex, detectionIndex, overlap }] : []
      }),
    )
    // Older tracks first on equal overlap: they are earlier in #tracks, whose order is by id.
    pairs.sort((a, b) => b.overlap - a.overlap || a.trackIndex - b.trackIndex || a.detectionIndex - b.detectionIndex)

    const trackOf: (Track | undefined)[] = detections.map(() => undefined)
    const matched = new Set<Track>()
    for (const { trackIndex, detectionIndex } of pairs) {
      const track = this.#tracks[trackIndex]!
      if (trackOf[detectionIndex] || matched.has(track)) continue
      trackOf[detectionIndex] = track
      matched.add(track)
    }

    for (const track of this.#tracks) if (!matched.has(track)) track.missed++
    this.#tracks = this.#tracks.filter((track) => track.missed <= maxMissedFrames)

    return detections.map(({ box, decision }, index) => {
      let track = trackOf[index]
      if (!track) {
        track = { id: this.#nextId++, box, name: null, votes: [], age: 0, missed: 0, since: now, describedBox: null, sinceDescribed: 0 }
        this.#tracks.push(track)
      }
      track.box = box
      track.missed = 0
      track.age++
      if (decision) {
        track.votes.push(decision)
        if (track.votes.length > voteWindow) track.votes.shift()
        track.name = votedLabel(track, minVotes)
        track.describedBox = box
        track.sinceDescribed = 0
      } else {
        track.sinceDescribed++
      }
      return view(track)
    })
  }
}

/**
 * Votes can leave one name on two tracks for a moment (one person's look-alike next to them, or a track
 * split in two): the track whose latest agreeing distance is smaller keeps the name, the others show unknown.
 */
export function oneFacePerName(tracks: readonly TrackedFace[]): TrackedFace[] {
  const owner = new Map<string, TrackedFace>()
  for (const track of tracks) {
    if (!track.name) continue
    const current = owner.get(track.name)
    if (!current || (track.distance ?? Infinity) < (current.distance ?? Infinity)) owner.set(track.name, track)
  }
  return tracks.map((track) => (track.name && owner.get(track.name) !== track ? { ...track, name: null } : track))
}
