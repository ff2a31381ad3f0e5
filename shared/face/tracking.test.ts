import { describe, expect, it } from 'vitest'
import type { Decision } from './match.js'
import type { Box } from './model.js'
import { FaceTracker, iou, oneFacePerName, shouldRefresh, type Detection, type TrackedFace, type TrackerOptions } from './tracking.js'

const box = (x: number, y: number, width: number, height: number): Box => ({ x, y, width, height })

/** A face's decision in one frame: a name, unknown (null), or unknown but a tentative match for someone. */
type Vote = string | null | { tentative: string }

/** An unknown face's decision that is a tentative match for `name`. */
const maybe = (name: string): Vote => ({ tentative: name })

function decision(vote: Vote, distance: number | null = 0.25): Decision {
  if (vote !== null && typeof vote === 'object') return { name: null, distance, runnerUp: null, tentative: vote.tentative }
  return { name: vote, distance, runnerUp: null, tentative: null }
}

const at = (where: Box, vote: Vote, distance?: number | null): Detection => ({ box: where, decision: decision(vote, distance) })

/** Feeds one face, standing still, through `votes` frame by frame; the labels shown after each. */
function labelsOf(votes: Vote[], options: Partial<TrackerOptions> = {}): (string | null)[] {
  const tracker = new FaceTracker(options)
  return votes.map((vote, frame) => {
    const [face] = tracker.update([at(box(0, 0, 100, 100), vote)], frame)
    return face!.name
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

describe('shouldRefresh', () => {
  const still = box(0, 0, 100, 10)
  const nudged = box(0, 0, 90, 10) // IoU exactly 0.9
  const moved = box(0, 0, 89, 10)

  it.each<[string, Box | null, Box, number, boolean]>([
    ['a face with no descriptor yet', null, still, 0, true],
    ['a still face with a fresh descriptor', still, still, 0, false],
    ['a still face whose descriptor is one frame short of too old', still, still, 4, false],
    ['a still face whose descriptor is too old', still, still, 5, true],
    ['a face that moved to exactly the least overlap allowed', still, nudged, 1, false],
    ['a face that moved a little more', still, moved, 1, true],
    ['a face now somewhere else', still, box(500, 0, 100, 10), 0, true],
  ])('%s', (_, previous, current, age, expected) => {
    expect(shouldRefresh(previous, current, age)).toBe(expected)
  })

  it('takes its own least overlap and oldest age', () => {
    expect(shouldRefresh(still, moved, 1, { minIoU: 0.8 })).toBe(false)
    expect(shouldRefresh(still, still, 5, { maxAge: 10 })).toBe(false)
    expect(shouldRefresh(still, still, 10, { maxAge: 10 })).toBe(true)
    expect(shouldRefresh(still, still, 0, { maxAge: 0 })).toBe(true)
  })
})

describe('FaceTracker', () => {
  describe('tracks', () => {
    it('starts a track per face on the first frame, ids in the order of the detections', () => {
      const tracker = new FaceTracker()
      expect(tracker.update([at(box(0, 0, 10, 10), 'ann', 0.25), at(box(50, 0, 10, 10), null, 0.75)], 1000)).toEqual([
        { id: 1, box: box(0, 0, 10, 10), name: 'ann', distance: 0.25, age: 1, since: 1000 },
        { id: 2, box: box(50, 0, 10, 10), name: null, distance: 0.75, age: 1, since: 1000 },
      ])
    })

    it('keeps a face that moves a little on its track, counting the frames it was seen', () => {
      const tracker = new FaceTracker()
      tracker.update([at(box(0, 0, 4, 4), 'ann')], 0)
      tracker.update([at(box(1, 0, 4, 4), 'ann')], 40)
      const [face] = tracker.update([at(box(2, 1, 4, 4), 'ann', 0.125)], 80)
      expect(face).toEqual({ id: 1, box: box(2, 1, 4, 4), name: 'ann', distance: 0.125, age: 3, since: 0 })
    })

    it('starts a new track for a box that overlaps less than minIoU, and continues one at exactly minIoU', () => {
      const tracker = new FaceTracker()
      tracker.update([at(box(0, 0, 4, 4), 'ann')], 0)
      expect(tracker.update([at(box(2, 0, 4, 4), 'ann')], 1)[0]!.id).toBe(1) // IoU 1/3
      expect(tracker.update([at(box(5, 0, 4, 4), 'ann')], 2)[0]!.id).toBe(2) // IoU 1/7

      const strict = new FaceTracker({ minIoU: 0.5 })
      strict.update([at(box(0, 0, 3, 1), 'ann')], 0)
      expect(strict.update([at(box(1, 0, 3, 1), 'ann')], 1)[0]!.id).toBe(1) // IoU 2/4
      expect(strict.update([at(box(2, 0, 3, 1), 'ann')], 2)[0]!.id).toBe(1)
      expect(strict.update([at(box(3.5, 0, 3, 1), 'ann')], 3)[0]!.id).toBe(2) // IoU 1.5/4.5
    })

    it('never pairs boxes that do not overlap, even with minIoU 0', () => {
      const tracker = new FaceTracker({ minIoU: 0 })
      tracker.update([at(box(0, 0, 4, 4), 'ann')], 0)
      expect(tracker.update([at(box(4, 0, 4, 4), 'ann')], 1)[0]!.id).toBe(2)
    })

    it('gives a contested track to the detection that overlaps it most; the other starts a track', () => {
      const tracker = new FaceTracker()
      tracker.update([at(box(0, 0, 10, 10), 'ann')], 0)
      const faces = tracker.update([at(box(4, 0, 10, 10), 'ann'), at(box(1, 0, 10, 10), 'ann')], 1)
      expect(faces.map(({ id }) => id)).toEqual([2, 1])
    })

    it('pairs greedily, largest overlap first, and answers in the order of the detections', () => {
      const tracker = new FaceTracker()
      tracker.update([at(box(0, 0, 10, 10), 'ann'), at(box(5, 0, 10, 10), 'bob')], 0)
      // Detection 0 overlaps track 2 by 9/11 and track 1 by 3/7; detection 1 the other way round.
      const faces = tracker.update([at(box(4, 0, 10, 10), 'bob'), at(box(1, 0, 10, 10), 'ann')], 1)
      expect(faces.map(({ id, name }) => ({ id, name }))).toEqual([
        { id: 2, name: 'bob' },
        { id: 1, name: 'ann' },
      ])
    })

    it('gives a detection overlapping two tracks equally to the older track', () => {
      const tracker = new FaceTracker()
      tracker.update([at(box(0, 0, 4, 4), 'ann'), at(box(4, 0, 4, 4), 'bob')], 0)
      const [face] = tracker.update([at(box(2, 0, 4, 4), 'ann')], 1)
      expect(face!.id).toBe(1)
    })

    it('keeps a track through maxMissedFrames frames without its face, and drops it after one more', () => {
      const tracker = new FaceTracker()
      tracker.update([at(box(0, 0, 10, 10), 'ann')], 0)
      for (let frame = 1; frame <= 5; frame++) expect(tracker.update([], frame)).toEqual([])
      expect(tracker.update([at(box(0, 0, 10, 10), null)], 6)).toEqual([
        { id: 1, box: box(0, 0, 10, 10), name: 'ann', distance: 0.25, age: 2, since: 0 },
      ])

      for (let frame = 7; frame <= 12; frame++) tracker.update([], frame)
      expect(tracker.update([at(box(0, 0, 10, 10), null)], 13)[0]).toMatchObject({ id: 2, name: null, age: 1, since: 13 })
    })

    it('drops a track at its first missed frame when maxMissedFrames is 0', () => {
      const tracker = new FaceTracker({ maxMissedFrames: 0 })
      tracker.update([at(box(0, 0, 10, 10), 'ann')], 0)
      tracker.update([], 1)
      expect(tracker.update([at(box(0, 0, 10, 10), 'ann')], 2)[0]!.id).toBe(2)
    })

    it('counts missed frames per track: other faces being seen does not keep a track alive', () => {
      const tracker = new FaceTracker({ maxMissedFrames: 1 })
      tracker.update([at(box(0, 0, 10, 10), 'ann'), at(box(100, 0, 10, 10), 'bob')], 0)
      tracker.update([at(box(100, 0, 10, 10), 'bob')], 1)
      tracker.update([at(box(100, 0, 10, 10), 'bob')], 2)
      const faces = tracker.update([at(box(0, 0, 10, 10), 'ann'), at(box(100, 0, 10, 10), 'bob')], 3)
      expect(faces.map(({ id, age }) => ({ id, age }))).toEqual([
        { id: 3, age: 1 },
        { id: 2, age: 4 },
      ])
    })

    it('never gives an id twice, even after tracks are dropped', () => {
      const tracker = new FaceTracker({ maxMissedFrames: 0 })
      const ids = [0, 1, 2, 3].flatMap((frame) => tracker.update([at(box(frame * 100, 0, 10, 10), 'ann')], frame).map(({ id }) => id))
      expect(ids).toEqual([1, 2, 3, 4])
    })

    it('gives nothing for a frame without faces', () => {
      expect(new FaceTracker().update([], 0)).toEqual([])
    })
  })

  describe('labels', () => {
    it('labels a new face on its first frame, even when minVotes asks for more', () => {
      expect(labelsOf(['ann'])).toEqual(['ann'])
      expect(labelsOf([null])).toEqual([null])
      expect(labelsOf(['ann'], { minVotes: 7 })).toEqual(['ann'])
    })

    it('does not flash a wrong name for one noisy frame', () => {
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
      const ann = Array<string>(7).fill('ann')
      // Window [ann×4, bob×3]: ann still leads.
      expect(labelsOf([...ann, 'bob', 'bob', 'bob']).at(-1)).toBe('ann')
      // Window [ann×3, bob×4]: bob leads with more than minVotes.
      expect(labelsOf([...ann, 'bob', 'bob', 'bob', 'bob']).at(-1)).toBe('bob')
      // A window of 3: [bob×3] after ann×7.
      expect(labelsOf([...ann, 'bob', 'bob', 'bob'], { voteWindow: 3 }).at(-1)).toBe('bob')
      expect(labelsOf([...ann, 'bob', 'bob'], { voteWindow: 3 }).at(-1)).toBe('ann')
    })

    it('keeps the label on a tie between other names that both have enough votes', () => {
      // The last window is [ann, bob, bob, cy, cy, dee]: bob and cy lead with 2 each, ann has 1.
      const names = ['ann', 'ann', 'bob', 'bob', 'cy', 'cy', 'dee']
      expect(labelsOf(names, { voteWindow: 6, minVotes: 2 })).toEqual(Array(7).fill('ann'))
    })

    it('keeps the label on a tie between other names, even one with no vote left in the window', () => {
      const tracker = new FaceTracker({ voteWindow: 4, minVotes: 3 })
      const names = ['ann', 'bob', 'cy', 'bob', 'cy']
      const faces = names.map((name, frame) => tracker.update([at(box(0, 0, 10, 10), name, 0.125 * (frame + 1))], frame)[0]!)
      expect(faces.map(({ name }) => name)).toEqual(['ann', 'ann', 'ann', 'ann', 'ann'])
      // The window is [bob, cy, bob, cy]: no decision agrees with ann any more.
      expect(faces.at(-1)!.distance).toBeNull()
      expect(faces.at(-2)!.distance).toBe(0.125)
    })

    it("reports the distance of the latest decision that agrees with the label, not of the frame's own", () => {
      const tracker = new FaceTracker()
      const frames: [string | null, number][] = [
        ['ann', 0.25],
        ['ann', 0.375],
        ['bob', 0.0625],
        [null, 0.75],
      ]
      const faces = frames.map(([name, distance], frame) => tracker.update([at(box(0, 0, 10, 10), name, distance)], frame)[0]!)
      expect(faces.map(({ name, distance }) => ({ name, distance }))).toEqual([
        { name: 'ann', distance: 0.25 },
        { name: 'ann', distance: 0.375 },
        { name: 'ann', distance: 0.375 },
        { name: 'ann', distance: 0.375 },
      ])
    })

    it('keeps the label of a track through missed frames', () => {
      const tracker = new FaceTracker()
      for (let frame = 0; frame < 3; frame++) tracker.update([at(box(0, 0, 10, 10), 'ann')], frame)
      tracker.update([], 3)
      tracker.update([], 4)
      expect(tracker.update([at(box(0, 0, 10, 10), 'bob')], 5)[0]).toMatchObject({ id: 1, name: 'ann', age: 4 })
    })

    describe('tentative matches', () => {
      it('names a new track from tentative votes only once they reach minVotes', () => {
        expect(labelsOf(times(3, maybe('ann')))).toEqual([null, null, 'ann'])
        expect(labelsOf(times(2, maybe('ann')), { minVotes: 2 })).toEqual([null, 'ann'])
      })

      it('leaves a face unknown when a few of its frames are tentative matches and most are unknown', () => {
        // On a new track, one vote given outright would name the face at once: two tentative ones do not.
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

      it('still names a new track at once from one vote given outright', () => {
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
        const tracker = new FaceTracker()
        const frames: [Vote, number][] = [
          [maybe('ann'), 0.5625],
          [maybe('ann'), 0.59375],
          [maybe('ann'), 0.53125],
          [null, 0.75],
        ]
        const faces = frames.map(([vote, distance], frame) => tracker.update([at(box(0, 0, 10, 10), vote, distance)], frame)[0]!)
        expect(faces.map(({ name, distance }) => ({ name, distance }))).toEqual([
          // No vote is for "unknown" yet: they are all for ann.
          { name: null, distance: null },
          { name: null, distance: null },
          { name: 'ann', distance: 0.53125 },
          { name: 'ann', distance: 0.53125 },
        ])
      })
    })

    it('votes separately for each track', () => {
      const tracker = new FaceTracker()
      const left = box(0, 0, 10, 10)
      const right = box(100, 0, 10, 10)
      tracker.update([at(left, 'ann'), at(right, 'bob')], 0)
      tracker.update([at(left, 'bob'), at(right, 'ann')], 1)
      const faces = tracker.update([at(left, 'bob'), at(right, 'ann')], 2)
      expect(faces.map(({ name }) => name)).toEqual(['ann', 'bob'])
    })
  })

  it.each<[string, Partial<TrackerOptions>, string]>([
    ['minIoU over 1', { minIoU: 1.5 }, 'minIoU is between 0 and 1, not 1.5'],
    ['a negative minIoU', { minIoU: -0.1 }, 'minIoU is between 0 and 1, not -0.1'],
    ['a NaN minIoU', { minIoU: Number.NaN }, 'minIoU is between 0 and 1, not NaN'],
    ['negative maxMissedFrames', { maxMissedFrames: -1 }, 'maxMissedFrames is a whole number of frames, not -1'],
    ['fractional maxMissedFrames', { maxMissedFrames: 2.5 }, 'maxMissedFrames is a whole number of frames, not 2.5'],
    ['an empty vote window', { voteWindow: 0 }, 'voteWindow is at least 1, not 0'],
    ['no votes needed', { minVotes: 0 }, 'minVotes is between 1 and voteWindow (7), not 0'],
    ['more votes needed than the window holds', { voteWindow: 4, minVotes: 5 }, 'minVotes is between 1 and voteWindow (4), not 5'],
  ])('refuses %s', (_, options, message) => {
    expect(() => new FaceTracker(options)).toThrow(new RangeError(message))
  })
})

describe('FaceTracker.needsDescriptor', () => {
  const still = box(100, 100, 80, 80)
  const unseen = (where: Box): Detection => ({ box: where, decision: null })

  it('asks for a descriptor for a face no track has, and for a track that has none yet', () => {
    const tracker = new FaceTracker()
    expect(tracker.needsDescriptor(still)).toBe(true)
    tracker.update([unseen(still)], 0)
    expect(tracker.needsDescriptor(still)).toBe(true)
  })

  it('lets a face that has not moved keep its decision until the descriptor is maxAge frames old', () => {
    const tracker = new FaceTracker()
    tracker.update([at(still, 'ann')], 0)
    const asked: boolean[] = []
    for (let frame = 1; frame <= 6; frame++) {
      const needs = tracker.needsDescriptor(still, { maxAge: 3 })
      asked.push(needs)
      tracker.update([needs ? at(still, 'ann') : unseen(still)], frame)
    }
    expect(asked).toEqual([false, false, false, true, false, false])
  })

  it('asks again as soon as the face moves', () => {
    const tracker = new FaceTracker()
    tracker.update([at(still, 'ann')], 0)
    expect(tracker.needsDescriptor(box(104, 100, 80, 80))).toBe(false)
    expect(tracker.needsDescriptor(box(115, 100, 80, 80))).toBe(true)
  })

  it('keeps the label of a frame without a descriptor and gives it no vote', () => {
    const tracker = new FaceTracker({ voteWindow: 3, minVotes: 2 })
    tracker.update([at(still, 'ann')], 0)
    for (let frame = 1; frame <= 5; frame++) expect(tracker.update([unseen(still)], frame)[0]).toMatchObject({ name: 'ann', distance: 0.25, age: frame + 1 })
    // Two votes for bob now outvote the one vote for ann: frames without a descriptor added none.
    tracker.update([at(still, 'bob')], 6)
    expect(tracker.update([at(still, 'bob')], 7)[0]!.name).toBe('bob')
  })
})

describe('oneFacePerName', () => {
  const track = (id: number, name: string | null, distance: number | null): TrackedFace => ({
    id,
    box: { x: id * 100, y: 0, width: 50, height: 50 },
    name,
    distance,
    age: 3,
    since: 0,
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
})
