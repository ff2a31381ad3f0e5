import { describe, expect, it } from 'vitest'
import type { Decision } from './match.js'
import type { Box } from './model.js'
import { checkVoteOptions, defaultVoteOptions, IdentityVotes, iou, oneFacePerName, type TrackedFace, type VoteOptions } from './tracking.js'

const box = (x: number, y: number, width: number, height: number): Box => ({ x, y, width, height })

/** A face's decision in one frame: a name, unknown (null), or unknown but a tentative match for someone. */
type Vote = string | null | { tentative: string }

/** An unknown face's decision that is a tentative match for `name`. */
const maybe = (name: string): Vote => ({ tentative: name })

function decision(vote: Vote, distance: number | null = 0.25): Decision {
  if (vote !== null && typeof vote === 'object') return { name: null, distance, runnerUp: null, tentative: vote.tentative }
  return { name: vote, distance, runnerUp: null, tentative: null }
}

const votesWith = (options: Partial<VoteOptions> = {}) => new IdentityVotes({ ...defaultVoteOptions, ...options })

/** Adds `votes` one by one to one face's votes; the label shown after each. */
function labelsOf(votes: Vote[], options: Partial<VoteOptions> = {}): (string | null)[] {
  const identity = votesWith(options)
  return votes.map((vote) => {
    identity.add(decision(vote))
    return identity.name
  })
}

/** Adds each (vote, distance) in turn; the label and distance shown after each. */
function labelsAndDistances(frames: [Vote, number][], options: Partial<VoteOptions> = {}): { name: string | null; distance: number | null }[] {
  const identity = votesWith(options)
  return frames.map(([vote, distance]) => {
    identity.add(decision(vote, distance))
    return { name: identity.name, distance: identity.distance }
  })
}

const times = (count: number, vote: Vote): Vote[] => Array<Vote>(count).fill(vote)

describe('iou', () => {
  it.each<[string, Box, Box, number]>([
    ['the same box', box(10, 20, 30, 40), box(10, 20, 30, 40), 1],
    ['half-shifted squares (8 over 24)', box(0, 0, 4, 4), box(2, 0, 4, 4), 1 / 3],
    ['a box inside another (4 over 16)', box(0, 0, 4, 4), box(1, 1, 2, 2), 0.25],
    ['boxes overlapping on a corner (1 over 7)', box(0, 0, 2, 2), box(1, 1, 2, 2), 1 / 7],
    ['boxes apart', box(0, 0, 4, 4), box(10, 10, 4, 4), 0],
    ['boxes that only touch', box(0, 0, 4, 4), box(4, 0, 4, 4), 0],
    ['two boxes without area at the same place', box(5, 5, 0, 0), box(5, 5, 0, 0), 0],
    ['a box without area inside another', box(0, 0, 4, 4), box(1, 1, 0, 2), 0],
    ['boxes at negative coordinates', box(-4, -4, 4, 4), box(-2, -4, 4, 4), 1 / 3],
  ])('%s', (_, a, b, expected) => {
    expect(iou(a, b)).toBe(expected)
    expect(iou(b, a)).toBe(expected)
  })
})

describe('IdentityVotes', () => {
  describe('before any vote', () => {
    it('shows unknown, with no distance and no votes', () => {
      const identity = new IdentityVotes()
      expect({ name: identity.name, distance: identity.distance, count: identity.count }).toEqual({ name: null, distance: null, count: 0 })
    })

    it('uses a window of 7 and 3 votes by default', () => {
      expect(defaultVoteOptions).toEqual({ voteWindow: 7, minVotes: 3 })
      expect(Object.isFrozen(defaultVoteOptions)).toBe(true)
      // Seven votes for ann, then three for bob: the window [ann×4, bob×3] keeps ann, a fourth bob wins.
      const identity = new IdentityVotes()
      for (const vote of [...times(7, 'ann'), ...times(3, 'bob')]) identity.add(decision(vote))
      expect(identity.name).toBe('ann')
      identity.add(decision('bob'))
      expect(identity.name).toBe('bob')
    })
  })

  describe('labels', () => {
    it('labels a new face on its first vote, even when minVotes asks for more', () => {
      expect(labelsOf(['ann'])).toEqual(['ann'])
      expect(labelsOf([null])).toEqual([null])
      expect(labelsOf(['ann'], { minVotes: 7 })).toEqual(['ann'])
    })

    it('does not flash a wrong name for one noisy vote', () => {
      expect(labelsOf(['ann', 'ann', 'ann', 'bob', 'ann', 'ann'])).toEqual(['ann', 'ann', 'ann', 'ann', 'ann', 'ann'])
      expect(labelsOf(['ann', 'ann', 'ann', null, 'ann'])).toEqual(['ann', 'ann', 'ann', 'ann', 'ann'])
    })

    it('keeps the current label on a tie', () => {
      expect(labelsOf(['ann', 'bob'])).toEqual(['ann', 'ann'])
      expect(labelsOf(['ann', 'bob', 'bob', 'ann', 'bob'])).toEqual(['ann', 'ann', 'ann', 'ann', 'bob'])
    })

    it('changes the label once another name leads with minVotes votes', () => {
      expect(labelsOf(['ann', 'bob', 'bob', 'bob'])).toEqual(['ann', 'ann', 'ann', 'bob'])
      expect(labelsOf(['ann', 'bob', 'bob', 'bob'], { minVotes: 2 })).toEqual(['ann', 'ann', 'bob', 'bob'])
    })

    it('lets "unknown" win the vote like any name', () => {
      expect(labelsOf(['ann', null, null, null])).toEqual(['ann', 'ann', 'ann', null])
      expect(labelsOf([null, 'ann', 'ann', 'ann'])).toEqual([null, null, null, 'ann'])
    })

    it('votes over the last voteWindow decisions only', () => {
      const ann = times(7, 'ann')
      // Window [ann×4, bob×3]: ann still leads.
      expect(labelsOf([...ann, 'bob', 'bob', 'bob']).at(-1)).toBe('ann')
      // Window [ann×3, bob×4]: bob leads with more than minVotes.
      expect(labelsOf([...ann, 'bob', 'bob', 'bob', 'bob']).at(-1)).toBe('bob')
      // A window of 3: [bob×3] after ann×7.
      expect(labelsOf([...ann, 'bob', 'bob', 'bob'], { voteWindow: 3 }).at(-1)).toBe('bob')
      expect(labelsOf([...ann, 'bob', 'bob'], { voteWindow: 3 }).at(-1)).toBe('ann')
    })

    it('counts the votes in the window, at most voteWindow', () => {
      const identity = votesWith({ voteWindow: 4, minVotes: 2 })
      const counts = times(6, 'ann').map((vote) => {
        identity.add(decision(vote))
        return identity.count
      })
      expect(counts).toEqual([1, 2, 3, 4, 4, 4])
    })

    it('keeps the label on a tie between other names that both have enough votes', () => {
      // The last window is [ann, bob, bob, cy, cy, dee]: bob and cy lead with 2 each, ann has 1.
      const names = ['ann', 'ann', 'bob', 'bob', 'cy', 'cy', 'dee']
      expect(labelsOf(names, { voteWindow: 6, minVotes: 2 })).toEqual(times(7, 'ann'))
    })

    it('keeps the label on a tie between other names, even one with no vote left in the window', () => {
      const names = ['ann', 'bob', 'cy', 'bob', 'cy']
      const shown = labelsAndDistances(
        names.map((name, index) => [name, 0.125 * (index + 1)]),
        { voteWindow: 4, minVotes: 3 },
      )
      expect(shown.map(({ name }) => name)).toEqual(['ann', 'ann', 'ann', 'ann', 'ann'])
      // The window is [bob, cy, bob, cy]: no decision agrees with ann any more.
      expect(shown.at(-1)!.distance).toBeNull()
      expect(shown.at(-2)!.distance).toBe(0.125)
    })

    it("reports the distance of the latest decision that agrees with the label, not of the latest decision's own", () => {
      expect(
        labelsAndDistances([
          ['ann', 0.25],
          ['ann', 0.375],
          ['bob', 0.0625],
          [null, 0.75],
        ]),
      ).toEqual([
        { name: 'ann', distance: 0.25 },
        { name: 'ann', distance: 0.375 },
        { name: 'ann', distance: 0.375 },
        { name: 'ann', distance: 0.375 },
      ])
    })

    it('keeps its label while no decision is added (frames without a descriptor cast no vote)', () => {
      const identity = votesWith({ voteWindow: 3, minVotes: 2 })
      identity.add(decision('ann'))
      // However many frames pass without a descriptor, the label and the one vote stay.
      expect({ name: identity.name, distance: identity.distance, count: identity.count }).toEqual({ name: 'ann', distance: 0.25, count: 1 })
      // Two votes for bob then outvote the one for ann: nothing was added in between.
      identity.add(decision('bob'))
      expect(identity.name).toBe('ann')
      identity.add(decision('bob'))
      expect(identity.name).toBe('bob')
    })

    it('votes separately for each face', () => {
      const left = new IdentityVotes()
      const right = new IdentityVotes()
      for (const [leftVote, rightVote] of [
        ['ann', 'bob'],
        ['bob', 'ann'],
        ['bob', 'ann'],
      ]) {
        left.add(decision(leftVote!))
        right.add(decision(rightVote!))
      }
      expect([left.name, right.name]).toEqual(['ann', 'bob'])
    })

    describe('tentative matches', () => {
      it('names a new face from tentative votes only once they reach minVotes', () => {
        expect(labelsOf(times(3, maybe('ann')))).toEqual([null, null, 'ann'])
        expect(labelsOf(times(2, maybe('ann')), { minVotes: 2 })).toEqual([null, 'ann'])
      })

      it('leaves a face unknown when a few of its votes are tentative matches and most are unknown', () => {
        // On a new face, one vote given outright would name it at once: two tentative ones do not.
        expect(labelsOf([...times(2, maybe('ann')), ...times(5, null)])).toEqual(times(7, null))
        expect(labelsOf([...times(4, null), ...times(3, maybe('ann'))])).toEqual(times(7, null))
      })

      it('names a face from tentative votes once they are more than half of the window', () => {
        expect(labelsOf([...times(3, null), ...times(4, maybe('ann'))])).toEqual([...times(6, null), 'ann'])
      })

      it('needs more than half of the window for tentative votes, even when they lead with minVotes', () => {
        // The window is [null×2, bob?×2, ann?×3]: ann leads with 3 of 7.
        const votes = [null, null, maybe('bob'), maybe('bob'), ...times(3, maybe('ann'))]
        expect(labelsOf(votes)).toEqual(times(7, null))
        // The same window with ann given outright names her.
        expect(labelsOf([...votes.slice(0, 4), ...times(3, 'ann')]).at(-1)).toBe('ann')
      })

      it('still names a new face at once from one vote given outright', () => {
        expect(labelsOf(['ann'])).toEqual(['ann'])
        expect(labelsOf(['ann', maybe('ann'), maybe('ann')])).toEqual(['ann', 'ann', 'ann'])
      })

      it('counts tentative votes with one given outright for the same name, under the outright rule', () => {
        expect(labelsOf([maybe('ann'), 'ann'])).toEqual([null, 'ann'])
      })

      it('changes a label given outright for tentative votes only when they win by the same rules', () => {
        expect(labelsOf(['ann', maybe('bob'), maybe('bob')])).toEqual(['ann', 'ann', 'ann'])
        expect(labelsOf([...times(3, 'ann'), ...times(3, maybe('bob'))])).toEqual(times(6, 'ann'))
        expect(labelsOf([...times(3, 'ann'), ...times(4, maybe('bob'))])).toEqual([...times(6, 'ann'), 'bob'])
        // bob leads with 3 of 7, not a majority: ann stays.
        expect(labelsOf(['ann', 'ann', null, null, ...times(3, maybe('bob'))])).toEqual(times(7, 'ann'))
      })

      it('reports the distance of the latest vote for the label, tentative votes included', () => {
        expect(
          labelsAndDistances([
            [maybe('ann'), 0.5625],
            [maybe('ann'), 0.59375],
            [maybe('ann'), 0.53125],
            [null, 0.75],
          ]),
        ).toEqual([
          // No vote is for "unknown" yet: they are all for ann.
          { name: null, distance: null },
          { name: null, distance: null },
          { name: 'ann', distance: 0.53125 },
          { name: 'ann', distance: 0.53125 },
        ])
      })
    })
  })

  describe('reset', () => {
    it('forgets the label, the distance and every vote', () => {
      const identity = new IdentityVotes()
      for (const vote of times(5, 'ann')) identity.add(decision(vote))
      identity.reset()
      expect({ name: identity.name, distance: identity.distance, count: identity.count }).toEqual({ name: null, distance: null, count: 0 })
    })

    it('lets the next vote name the face as if it were new: the old votes no longer outvote it', () => {
      const identity = new IdentityVotes()
      for (const vote of times(7, 'ann')) identity.add(decision(vote, 0.125))
      identity.reset()
      identity.add(decision('bob', 0.375))
      expect({ name: identity.name, distance: identity.distance, count: identity.count }).toEqual({ name: 'bob', distance: 0.375, count: 1 })
      // Without the reset, one vote for bob after seven for ann changes nothing.
      expect(labelsOf([...times(7, 'ann'), 'bob']).at(-1)).toBe('ann')
    })

    it('leaves a face unknown after a reset until tentative votes reach minVotes again', () => {
      const identity = new IdentityVotes()
      for (const vote of times(3, maybe('ann'))) identity.add(decision(vote))
      expect(identity.name).toBe('ann')
      identity.reset()
      const labels = times(3, maybe('ann')).map((vote) => {
        identity.add(decision(vote))
        return identity.name
      })
      expect(labels).toEqual([null, null, 'ann'])
    })
  })

  describe('options', () => {
    it.each<[string, Partial<VoteOptions>, string]>([
      ['an empty vote window', { voteWindow: 0 }, 'voteWindow is at least 1, not 0'],
      ['a fractional vote window', { voteWindow: 2.5, minVotes: 1 }, 'voteWindow is at least 1, not 2.5'],
      ['a NaN vote window', { voteWindow: Number.NaN }, 'voteWindow is at least 1, not NaN'],
      ['no votes needed', { minVotes: 0 }, 'minVotes is between 1 and voteWindow (7), not 0'],
      ['a fractional number of votes', { minVotes: 1.5 }, 'minVotes is between 1 and voteWindow (7), not 1.5'],
      ['more votes needed than the window holds', { voteWindow: 4, minVotes: 5 }, 'minVotes is between 1 and voteWindow (4), not 5'],
    ])('refuses %s', (_, options, message) => {
      const all = { ...defaultVoteOptions, ...options }
      expect(() => new IdentityVotes(all)).toThrow(new RangeError(message))
      expect(() => checkVoteOptions(all)).toThrow(new RangeError(message))
    })

    it('accepts a window of one vote, and minVotes equal to the window', () => {
      expect(() => checkVoteOptions({ voteWindow: 1, minVotes: 1 })).not.toThrow()
      expect(labelsOf(['ann', 'bob', 'bob'], { voteWindow: 1, minVotes: 1 })).toEqual(['ann', 'bob', 'bob'])
      expect(labelsOf(['ann', 'bob', 'bob', 'bob'], { voteWindow: 3, minVotes: 3 })).toEqual(['ann', 'ann', 'ann', 'bob'])
    })
  })
})

describe('oneFacePerName', () => {
  const track = (id: number, name: string | null, distance: number | null): TrackedFace => ({
    id,
    box: { x: id * 100, y: 0, width: 50, height: 50 },
    name,
    distance,
  })

  it('leaves the name with the closer of two tracks and makes the other unknown', () => {
    const tracks = [track(1, 'ada', 0.45), track(2, 'ada', 0.41), track(3, 'grace', 0.3)]
    expect(oneFacePerName(tracks).map(({ id, name }) => [id, name])).toEqual([
      [1, null],
      [2, 'ada'],
      [3, 'grace'],
    ])
  })

  it('keeps the first of equal distances, and prefers a known distance to none', () => {
    expect(oneFacePerName([track(1, 'ada', 0.4), track(2, 'ada', 0.4)]).map(({ name }) => name)).toEqual(['ada', null])
    expect(oneFacePerName([track(1, 'ada', null), track(2, 'ada', 0.55)]).map(({ name }) => name)).toEqual([null, 'ada'])
  })

  it('changes nothing when every name is on one track, and leaves unknown faces alone', () => {
    const tracks = [track(1, 'ada', 0.4), track(2, null, null), track(3, null, 0.7)]
    expect(oneFacePerName(tracks)).toEqual(tracks)
    expect(oneFacePerName([])).toEqual([])
  })

  it('does not change the tracks it is given', () => {
    const tracks = [track(1, 'ada', 0.45), track(2, 'ada', 0.41)]
    oneFacePerName(tracks)
    expect(tracks.map(({ name }) => name)).toEqual(['ada', 'ada'])
  })
})
