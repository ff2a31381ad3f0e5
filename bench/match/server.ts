// The server's matcher (api/faces/matcher.ts) on the same workload, in Node only: what one face of a
// POST /api/faces/match costs past HTTP and JSON, beside the browser's plain scan.
import { GalleryIndex, matchFaces } from '../../api/faces/matcher.js'
import { defaultDecisionRule } from '../../shared/face/match.js'
import { makeModel, rounded, time, timeOnce, warmUpCount, type Case, type Timing } from './workload.js'

export function timeServerMatcher(cases: Case[]): Timing[] {
  return cases.map(({ vectors, queries }) => {
    const model = makeModel(vectors)
    const index = timeOnce(() => GalleryIndex.ofModel(model))
    const match = (query: Float32Array) => matchFaces(index.value, [query], defaultDecisionRule)
    time(queries.slice(0, warmUpCount), match)
    return rounded({ buildMs: index.ms, ...time(queries.slice(warmUpCount), match) })
  })
}
