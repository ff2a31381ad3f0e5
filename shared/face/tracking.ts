// Identity across the frames of a live video: box overlap, the vote over a tracked face's own
// decisions, and one face per name. The tracker that uses them is LiveTracker (live.ts).
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

export interface TrackedFace {
  /** Stable while the face is tracked; never given again by the same tracker. */
  id: number
  box: Box
  /** The label won by the vote; null: unknown. */
  name: string | null
  /** The distance of the latest decision in the window that agrees with `name`; null when none does. */
  distance: number | null
}

export interface VoteOptions {
  /** How many of a track's latest decisions vote. */
  voteWindow: number
  /** Votes a name needs to replace the current label (fewer while a track has seen fewer decisions). */
  minVotes: number
}

export const defaultVoteOptions: Readonly<VoteOptions> = Object.freeze({ voteWindow: 7, minVotes: 3 })

export function checkVoteOptions({ voteWindow, minVotes }: VoteOptions): void {
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
 * The name one tracked face shows: a vote over the decisions of its own latest descriptors, so one
 * noisy frame does not flash a wrong name. Only the face's own decisions vote: a face starts unknown,
 * and `reset` forgets every vote when the face may no longer be the one that cast them.
 */
export class IdentityVotes {
  readonly #options: VoteOptions
  #votes: Decision[] = []
  #name: string | null = null

  constructor(options: VoteOptions = defaultVoteOptions) {
    checkVoteOptions(options)
    this.#options = options
  }

  get name(): string | null {
    return this.#name
  }

  get count(): number {
    return this.#votes.length
  }

  /** The distance of the latest vote that agrees with the label, tentative votes included; null when none does. */
  get distance(): number | null {
    return this.#votes.findLast((vote) => votedFor(vote) === this.#name)?.distance ?? null
  }

  add(decision: Decision): void {
    this.#votes.push(decision)
    if (this.#votes.length > this.#options.voteWindow) this.#votes.shift()
    this.#name = this.#label()
  }

  reset(): void {
    this.#votes = []
    this.#name = null
  }

  /**
   * The label after a new vote: the most voted one, if it has enough votes; ties keep the current label.
   * A name that no vote of the window gave outright, only tentative matches, needs `minVotes` however
   * young the track, and more than half of the window: a stranger who looks like someone in a few frames
   * stays unknown, a known face seen small or blurred in most of its frames is named.
   */
  #label(): string | null {
    const { minVotes } = this.#options
    const votes = this.#votes
    const counts = new Map<string | null, number>()
    for (const vote of votes) counts.set(votedFor(vote), (counts.get(votedFor(vote)) ?? 0) + 1)
    const most = Math.max(...counts.values())
    const leaders = [...counts].filter(([, count]) => count === most).map(([name]) => name)
    const leader = leaders[0]!
    if (leaders.length > 1 || leader === this.#name) return this.#name
    const outright = leader === null || votes.some((vote) => vote.name === leader)
    const enough = outright ? most >= Math.min(minVotes, votes.length) : most >= minVotes && most * 2 > votes.length
    return enough ? leader : this.#name
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
