import { describe, expect, it } from 'vitest'
import { assignFaces } from './assign.js'
import { decide, type Decision, type DecisionRule, type PersonDistance } from './match.js'
import { seededRandom } from '../../tests/support/random.js'

const rule: DecisionRule = { threshold: 0.5, margin: 0.125, agreement: 0 }
const noMargin: DecisionRule = { threshold: 0.5, margin: 0, agreement: 0 }
/** Named under 0.5, tentative from 0.5 up to 0.625. */
const agreeing: DecisionRule = { threshold: 0.5, margin: 0, agreement: 0.125 }

/** A face's ranked list; the distances below are sums of powers of two, so every difference is exact. */
const ranked = (...pairs: [string, number][]): PersonDistance[] => pairs.map(([name, distance]) => ({ name, distance }))

const unknown = (distance: number | null, runnerUp: number | null, tentative: string | null = null): Decision => ({
  name: null,
  distance,
  runnerUp,
  tentative,
})

/** Ranked lists for `faces` faces over `people` people, distances in steps of 1/32 so ties happen. */
function randomCandidates(seed: number, faces: number, people: number): PersonDistance[][] {
  const random = seededRandom(seed)
  const names = Array.from({ length: people }, (_, i) => `p${i}`)
  return Array.from({ length: faces }, () =>
    names
      .map((name) => ({ name, distance: Math.floor(random() * 32) / 32 }))
      .sort((a, b) => a.distance - b.distance || (a.name < b.name ? -1 : 1)),
  )
}

describe('assignFaces', () => {
  it('gives nothing for a frame without faces', () => {
    expect(assignFaces([], rule)).toEqual([])
  })

  it.each<[string, PersonDistance[], DecisionRule]>([
    ['no one to compare with', [], rule],
    ['one person under the threshold', ranked(['ann', 0.25]), rule],
    ['one person over the threshold', ranked(['ann', 0.75]), rule],
    ['a clear winner', ranked(['ann', 0.25], ['bob', 0.5]), rule],
    ['a runner-up exactly the margin away', ranked(['ann', 0.25], ['bob', 0.375]), rule],
    ['a runner-up too close', ranked(['ann', 0.25], ['bob', 0.3125], ['cy', 0.4375]), rule],
    ['an exact tie, with a margin', ranked(['ann', 0.25], ['bob', 0.25]), rule],
    ['an exact tie, without a margin', ranked(['ann', 0.25], ['bob', 0.25]), noMargin],
    ['a best person at the threshold', ranked(['ann', 0.5], ['bob', 1]), rule],
  ])('decides one face exactly as decide does: %s', (_, list, decisionRule) => {
    expect(assignFaces([list], decisionRule)).toEqual([decide(list, decisionRule)])
  })

  it('decides one face as decide does on random lists with ties', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const [list] = randomCandidates(seed, 1, 1 + (seed % 6))
      for (const decisionRule of [rule, noMargin]) expect(assignFaces([list!], decisionRule)).toEqual([decide(list!, decisionRule)])
    }
  })

  it('names faces that want different people as decide would', () => {
    const candidates = [ranked(['ann', 0.25], ['cy', 0.625]), ranked(['bob', 0.125], ['dee', 0.75])]
    expect(assignFaces(candidates, rule)).toEqual(candidates.map((list) => decide(list, rule)))
  })

  it("does not count a person another face took first as a face's rival", () => {
    // Alone, face 0 would be unknown: bob is within the margin of ann. But bob is clearly face 1.
    const candidates = [ranked(['ann', 0.25], ['bob', 0.3125]), ranked(['bob', 0.125], ['ann', 0.75])]
    expect(assignFaces(candidates, rule)).toEqual([
      { name: 'ann', distance: 0.25, runnerUp: null, tentative: null },
      { name: 'bob', distance: 0.125, runnerUp: 0.75, tentative: null },
    ])
  })

  it('gives a person to the nearer of two faces, and the other face its next person', () => {
    const candidates = [ranked(['ann', 0.25], ['bob', 0.3125], ['cy', 0.75]), ranked(['ann', 0.125], ['cy', 0.625])]
    // Face 0 alone would be unknown (bob is too close behind ann); with ann taken, bob is clear of cy.
    expect(assignFaces(candidates, rule)).toEqual([
      { name: 'bob', distance: 0.3125, runnerUp: 0.75, tentative: null },
      { name: 'ann', distance: 0.125, runnerUp: 0.625, tentative: null },
    ])
  })

  it('leaves the farther face unknown, with its own best distance, when its next person is too close to another', () => {
    const candidates = [ranked(['ann', 0.25], ['bob', 0.375], ['cy', 0.4375]), ranked(['ann', 0.125])]
    expect(assignFaces(candidates, rule)).toEqual([unknown(0.25, 0.375), { name: 'ann', distance: 0.125, runnerUp: null, tentative: null }])
  })

  it('leaves the farther face unknown when its next person is over the threshold', () => {
    const candidates = [ranked(['ann', 0.25], ['bob', 0.5]), ranked(['ann', 0.125], ['bob', 1])]
    expect(assignFaces(candidates, rule)).toEqual([unknown(0.25, 0.5), { name: 'ann', distance: 0.125, runnerUp: 1, tentative: null }])
  })

  it('checks the margin only against people no face has taken yet', () => {
    // Face 1 takes ann first; face 0's bob is then measured against cy (0.1875 away), not against ann.
    const candidates = [ranked(['ann', 0.25], ['bob', 0.3125], ['cy', 0.5]), ranked(['ann', 0.0625], ['dee', 0.25])]
    expect(assignFaces(candidates, rule)).toEqual([
      { name: 'bob', distance: 0.3125, runnerUp: 0.5, tentative: null },
      { name: 'ann', distance: 0.0625, runnerUp: 0.25, tentative: null },
    ])
  })

  it('does not look again at a face turned down for a close rival that another face takes later', () => {
    // Face 0 comes up first (0.25) with bob too close behind; face 1 then takes bob. Face 0 stays unknown.
    const candidates = [ranked(['ann', 0.25], ['bob', 0.28125]), ranked(['bob', 0.265625])]
    expect(assignFaces(candidates, { threshold: 0.5, margin: 0.0625, agreement: 0 })).toEqual([
      unknown(0.25, 0.28125),
      { name: 'bob', distance: 0.265625, runnerUp: null, tentative: null },
    ])
  })

  it('gives a person wanted by two faces at the same distance to the first face', () => {
    const candidates = [ranked(['ann', 0.25], ['bob', 1]), ranked(['ann', 0.25], ['bob', 1])]
    expect(assignFaces(candidates, rule)).toEqual([{ name: 'ann', distance: 0.25, runnerUp: 1, tentative: null }, unknown(0.25, 1)])
  })

  it('names the best pairs first, whatever the order of the faces', () => {
    const candidates = [
      ranked(['ann', 0.375], ['bob', 0.4375]),
      ranked(['bob', 0.25], ['ann', 0.3125]),
      ranked(['ann', 0.0625], ['bob', 0.125]),
    ]
    expect(assignFaces(candidates, noMargin)).toEqual([
      unknown(0.375, 0.4375),
      { name: 'bob', distance: 0.25, runnerUp: null, tentative: null },
      { name: 'ann', distance: 0.0625, runnerUp: 0.125, tentative: null },
    ])
    expect(assignFaces([...candidates].reverse(), noMargin)).toEqual(
      [unknown(0.375, 0.4375), { name: 'bob', distance: 0.25, runnerUp: null, tentative: null }, { name: 'ann', distance: 0.0625, runnerUp: 0.125, tentative: null }].reverse(),
    )
  })

  it('leaves a face without candidates unknown without distances', () => {
    expect(assignFaces([[], ranked(['ann', 0.25])], rule)).toEqual([unknown(null, null), { name: 'ann', distance: 0.25, runnerUp: null, tentative: null }])
  })

  it('leaves the extra faces unknown when there are more faces than people', () => {
    const candidates = [ranked(['ann', 0.125]), ranked(['ann', 0.25]), ranked(['ann', 0.375])]
    expect(assignFaces(candidates, rule)).toEqual([{ name: 'ann', distance: 0.125, runnerUp: null, tentative: null }, unknown(0.25, null), unknown(0.375, null)])
  })

  it('never gives a person twice, and names only faces under the threshold with the margin kept', () => {
    const seen = { named: 0, unknown: 0, namedAfterLosingTheBest: 0 }
    for (let seed = 1; seed <= 300; seed++) {
      const candidates = randomCandidates(seed, 1 + (seed % 5), 1 + (seed % 7))
      for (const decisionRule of [rule, noMargin]) {
        const decisions = assignFaces(candidates, decisionRule)
        const names = decisions.flatMap(({ name }) => (name === null ? [] : [name]))
        expect(new Set(names).size).toBe(names.length)
        decisions.forEach((decision, face) => {
          const list = candidates[face]!
          if (decision.name === null) {
            seen.unknown++
            expect(decision).toEqual({ ...decide(list, decisionRule), name: null, tentative: null })
            return
          }
          seen.named++
          if (decision.distance !== list[0]!.distance) seen.namedAfterLosingTheBest++
          expect(decision.distance).toBe(list.find(({ name }) => name === decision.name)!.distance)
          expect(decision.distance!).toBeLessThan(decisionRule.threshold)
          if (decision.runnerUp !== null) expect(decision.runnerUp - decision.distance!).toBeGreaterThanOrEqual(decisionRule.margin)
          // Its rival is someone else in its own list.
          if (decision.runnerUp !== null) {
            expect(list.some(({ name, distance }) => name !== decision.name && distance === decision.runnerUp)).toBe(true)
          }
        })
      }
    }
    // The lists are varied enough to test every branch.
    expect(Math.min(seen.named, seen.unknown, seen.namedAfterLosingTheBest)).toBeGreaterThan(20)
  })

  describe('tentative matches', () => {
    it('gives an unnamed face its nearest person as a tentative match, with the distances decide gives', () => {
      const candidates = [ranked(['ann', 0.5625], ['bob', 0.75]), ranked(['cy', 0.25])]
      expect(assignFaces(candidates, agreeing)).toEqual([unknown(0.5625, 0.75, 'ann'), { name: 'cy', distance: 0.25, runnerUp: null, tentative: null }])
    })

    it('gives no tentative match for a person at or over threshold + agreement', () => {
      expect(assignFaces([ranked(['ann', 0.625], ['bob', 0.75])], agreeing)).toEqual([unknown(0.625, 0.75)])
    })

    it('gives no tentative match with agreement 0', () => {
      expect(assignFaces([ranked(['ann', 0.5], ['bob', 0.5625])], { ...agreeing, agreement: 0 })).toEqual([unknown(0.5, 0.5625)])
    })

    it('never makes a person given to another face of the frame a tentative match', () => {
      const candidates = [ranked(['ann', 0.5625], ['bob', 0.75]), ranked(['ann', 0.25])]
      expect(assignFaces(candidates, agreeing)).toEqual([unknown(0.5625, 0.75), { name: 'ann', distance: 0.25, runnerUp: null, tentative: null }])
    })

    it('makes the nearest person nobody was given the tentative match, keeping the distance to the nearest of all', () => {
      // Face 0 loses ann to face 1; bob, over the threshold but within the agreement, is its tentative match.
      const candidates = [ranked(['ann', 0.375], ['bob', 0.5625]), ranked(['ann', 0.125])]
      expect(assignFaces(candidates, agreeing)).toEqual([unknown(0.375, 0.5625, 'bob'), { name: 'ann', distance: 0.125, runnerUp: null, tentative: null }])
    })

    it('gives no tentative match to a face turned down for a rival within the margin', () => {
      const candidates = [ranked(['ann', 0.25], ['bob', 0.3125])]
      expect(assignFaces(candidates, { ...agreeing, margin: 0.125 })).toEqual([unknown(0.25, 0.3125)])
    })

    it('makes a tentative match only of the nearest person nobody was given, within the agreement, on random frames', () => {
      const withMargin: DecisionRule = { ...agreeing, margin: 0.125 }
      let tentatives = 0
      for (let seed = 1; seed <= 300; seed++) {
        const candidates = randomCandidates(seed, 1 + (seed % 5), 1 + (seed % 7))
        for (const decisionRule of [agreeing, withMargin]) {
          const decisions = assignFaces(candidates, decisionRule)
          const given = new Set(decisions.flatMap(({ name }) => (name === null ? [] : [name])))
          decisions.forEach(({ name, tentative }, face) => {
            const nearestNotGiven = candidates[face]!.find((person) => !given.has(person.name))
            const within =
              nearestNotGiven !== undefined &&
              nearestNotGiven.distance >= decisionRule.threshold &&
              nearestNotGiven.distance < decisionRule.threshold + decisionRule.agreement
            expect(tentative).toBe(name === null && within ? nearestNotGiven.name : null)
            if (tentative !== null) tentatives++
          })
        }
      }
      expect(tentatives).toBeGreaterThan(20)
    })
  })

  it('leaves the lists it was given as they were', () => {
    const candidates = [ranked(['ann', 0.25], ['bob', 0.3125]), ranked(['ann', 0.125])]
    const copy = structuredClone(candidates)
    assignFaces(candidates, rule)
    expect(candidates).toEqual(copy)
  })
})
