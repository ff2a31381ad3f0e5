// In one frame a person can be only one of the faces: two faces both nearest to the same person get
// that name once, and the other face is reconsidered or left unknown.
import { decide, matchDescriptor, tentativeName, type Decision, type DecisionRule, type Gallery, type PersonDistance } from './match.js'

interface Pair {
  face: number
  rank: number
  name: string
  distance: number
}

/**
 * Names the faces of one frame, `candidates[i]` being face i's ranked list from matchDescriptor.
 *
 * Greedy, nearest pairs first: every (face, person) pair under the threshold is taken in order of
 * distance (ties: lower face index, then the face's own ranking), and given when neither the face nor
 * the person is taken yet and the margin holds against the face's nearest other person that no face
 * has taken by then. A face turned down for a close rival is not looked at again for that person, even
 * if the rival is taken later: in doubt a face stays unknown rather than risk a wrong name.
 * With one face this is exactly `decide`. Unnamed faces get `decide`'s distances with `name: null`.
 */
export function assignFaces(candidates: readonly (readonly PersonDistance[])[], rule: DecisionRule): Decision[] {
  const pairs: Pair[] = candidates.flatMap((ranked, face) =>
    ranked.flatMap(({ name, distance }, rank) => (distance < rule.threshold ? [{ face, rank, name, distance }] : [])),
  )
  pairs.sort((a, b) => a.distance - b.distance || a.face - b.face || a.rank - b.rank)

  const decisions: (Decision | undefined)[] = candidates.map(() => undefined)
  const taken = new Set<string>()
  for (const { face, name, distance } of pairs) {
    if (decisions[face] || taken.has(name)) continue
    let runnerUp: number | null = null
    for (const other of candidates[face]!) {
      if (other.name === name || taken.has(other.name)) continue
      if (runnerUp === null || other.distance < runnerUp) runnerUp = other.distance
    }
    if (runnerUp !== null && runnerUp - distance < rule.margin) continue
    decisions[face] = { name, distance, runnerUp, tentative: null }
    taken.add(name)
  }
  return candidates.map((ranked, face) => {
    const named = decisions[face]
    if (named) return named
    // Tentative only for a person no face of this frame was given, and never for one turned down for a rival.
    const untaken = ranked.find(({ name }) => !taken.has(name))
    const tentative = untaken && untaken.distance >= rule.threshold ? tentativeName(untaken, rule) : null
    return { ...decide(ranked, rule), name: null, tentative }
  })
}

/**
 * Names the faces of one picture somewhere else, where the gallery is: the server (`POST
 * /api/faces/match`), which answers with assignFaces' decisions on its own gallery.
 */
export interface FaceNamer {
  nameFaces(descriptors: readonly Float32Array[], rule: DecisionRule): Promise<Decision[]>
}

/** What faces are named against: a gallery held here, or a namer that holds it elsewhere. */
export type Matching = Gallery | FaceNamer

/** The decisions for the faces of one picture, from a gallery held here or from where the gallery is. */
export function nameFaces(matching: Matching, descriptors: readonly Float32Array[], rule: DecisionRule): Decision[] | Promise<Decision[]> {
  if ('nameFaces' in matching) return matching.nameFaces(descriptors, rule)
  return assignFaces(
    descriptors.map((descriptor) => matchDescriptor(matching, descriptor)),
    rule,
  )
}
