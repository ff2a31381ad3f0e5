// `npm run eval -- <folder> [--gallery N] [--json] [--roc FILE]`: how well recognition names the people of a
// folder of labeled photos (`<person>/<photos>`, or a verification set: see lib/photo-sets.ts) and how
// well it turns strangers away. Every photo is stored as the app stores it and goes through the app's
// own enrollment (detection, one-face rule, retries, descriptor) and decision rule, in Node on WASM.
// Each person's first N usable photos are enrolled and the rest are queried; then each person in turn is
// left out of the gallery and all their photos are queried as a stranger's. Enrollment coverage: of the
// people with 3 photos or more, those with 3 usable ones or more (what the app asks before recognizing).
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { normalizePhoto } from '../api/photos/image.js'
import { euclideanDistance, meanDescriptor } from '../shared/face/descriptor.js'
import { enrollDefaults, enrollFace } from '../shared/face/enroll.js'
import { createGalleryFromVectors, decide, defaultDecisionRule, matchDescriptor, type DecisionRule, type PersonDistance } from '../shared/face/match.js'
import { decodePhoto, nodeFaceRuntime } from '../api/faces/node-runtime.js'
import { readPhotoSet, type LabeledPhoto, type UnusablePhoto } from './lib/photo-sets.js'
import { renderRoc, type RocPoint } from './lib/roc.js'

interface Query {
  photo: string
  person: string
  ranked: PersonDistance[]
}

/** One way of deciding, scored on the same queries as the app's rule, for comparison. */
interface Candidate {
  label: string
  /** The ranked people of a query under this candidate's way of measuring a person's distance. */
  rank: (query: Query, gallery: Map<string, Float32Array[]>) => PersonDistance[]
  rule: (person: string, gallery: Map<string, Float32Array[]>) => DecisionRule
}

const usage = 'usage: npm run eval -- <folder> [--gallery N] [--json] [--roc FILE]'

async function describe(photos: LabeledPhoto[], log: (line: string) => void) {
  const runtime = await nodeFaceRuntime()
  const descriptors = new Map<string, Float32Array>()
  const unusable: UnusablePhoto[] = []
  const notes: { photo: string; note: string }[] = []
  const startedAt = Date.now()
  for (const [index, photo] of photos.entries()) {
    let image
    try {
      image = await decodePhoto(await normalizePhoto(await readFile(photo.file), photo.key))
    } catch (err) {
      unusable.push({ photo: photo.key, reason: 'unreadable', detail: err instanceof Error ? err.message : String(err) })
      continue
    }
    try {
      const result = await enrollFace(runtime, image, enrollDefaults)
      if (result.ok) {
        descriptors.set(photo.key, result.descriptor)
        if (result.note) notes.push({ photo: photo.key, note: result.note })
      } else {
        unusable.push({ photo: photo.key, reason: result.reason, detail: result.detail })
      }
    } finally {
      image.dispose()
    }
    if ((index + 1) % 20 === 0 || index + 1 === photos.length) log(`  ${index + 1}/${photos.length} photos, ${((Date.now() - startedAt) / 1000).toFixed(1)} s`)
  }
  return { descriptors, unusable, notes }
}

const byDistance = (a: PersonDistance, b: PersonDistance) => a.distance - b.distance || (a.name < b.name ? -1 : 1)

function nearestRanking(query: Query): PersonDistance[] {
  return query.ranked
}

/** The largest distance between two of a person's enrolled descriptors: how much their own photos vary. */
function spread(descriptors: Float32Array[]): number {
  let largest = 0
  for (const [index, a] of descriptors.entries()) for (const b of descriptors.slice(index + 1)) largest = Math.max(largest, euclideanDistance(a, b))
  return largest
}

const fixedRule = (rule: DecisionRule) => () => rule

const candidates = (descriptorsOf: Map<string, Float32Array>): Candidate[] => [
  { label: `app default: nearest < ${defaultDecisionRule.threshold.toFixed(2)}`, rank: nearestRanking, rule: fixedRule(defaultDecisionRule) },
  { label: 'nearest < 0.55', rank: nearestRanking, rule: fixedRule({ ...defaultDecisionRule, threshold: 0.55 }) },
  { label: 'nearest < 0.60 (face-api)', rank: nearestRanking, rule: fixedRule({ ...defaultDecisionRule, threshold: 0.6 }) },
  { label: 'nearest < 0.60, margin 0.12', rank: nearestRanking, rule: fixedRule({ ...defaultDecisionRule, threshold: 0.6, margin: 0.12 }) },
  {
    label: 'mean descriptor < 0.50',
    rank: (query, gallery) =>
      [...gallery].map(([name, own]) => ({ name, distance: euclideanDistance(descriptorsOf.get(query.photo)!, meanDescriptor(own)) })).sort(byDistance),
    rule: fixedRule(defaultDecisionRule),
  },
  {
    label: 'per person: own spread + 0.05, within 0.45–0.55',
    rank: nearestRanking,
    rule: (person, gallery) => ({ ...defaultDecisionRule, threshold: Math.min(0.55, Math.max(0.45, spread(gallery.get(person) ?? []) + 0.05)) }),
  },
]

function decideWith(candidate: Candidate, query: Query, gallery: Map<string, Float32Array[]>) {
  const ranked = candidate.rank(query, gallery)
  return decide(ranked, candidate.rule(ranked[0]?.name ?? '', gallery))
}

function evaluate(photos: LabeledPhoto[], descriptors: Map<string, Float32Array>, gallerySize: number) {
  const usableByPerson = new Map<string, LabeledPhoto[]>()
  for (const photo of photos) {
    if (descriptors.has(photo.key)) usableByPerson.set(photo.person, [...(usableByPerson.get(photo.person) ?? []), photo])
  }
  // Each person keeps at least one photo to query, so a person with few photos enrolls fewer.
  const enrolled = new Map([...usableByPerson].map(([person, own]) => [person, own.slice(0, Math.max(1, Math.min(gallerySize, own.length - 1)))]))
  const galleryWithout = (left?: string) =>
    new Map([...enrolled].filter(([person]) => person !== left).map(([person, own]) => [person, own.map((photo) => descriptors.get(photo.key)!)]))
  const matcherOf = (gallery: Map<string, Float32Array[]>) =>
    createGalleryFromVectors([...gallery].flatMap(([name, own]) => own.map((descriptor) => ({ name, descriptor }))))

  const full = galleryWithout()
  const fullMatcher = matcherOf(full)
  const genuine: Query[] = [...usableByPerson].flatMap(([person, own]) =>
    own
      .filter((photo) => !enrolled.get(person)!.includes(photo))
      .map((photo) => ({ photo: photo.key, person, ranked: matchDescriptor(fullMatcher, descriptors.get(photo.key)!) })),
  )
  const strangerGalleries = new Map([...usableByPerson.keys()].map((person) => [person, galleryWithout(person)]))
  const strangers: Query[] = [...usableByPerson].flatMap(([person, own]) => {
    const others = matcherOf(strangerGalleries.get(person)!)
    return others.names.length ? own.map((photo) => ({ photo: photo.key, person, ranked: matchDescriptor(others, descriptors.get(photo.key)!) })) : []
  })

  const score = (candidate: Candidate) => {
    const genuineDecisions = genuine.map((query) => ({ query, decision: decideWith(candidate, query, full) }))
    const strangerDecisions = strangers.map((query) => ({ query, decision: decideWith(candidate, query, strangerGalleries.get(query.person)!) }))
    return {
      rule: candidate.label,
      correctAccept: rate(genuineDecisions.filter(({ query, decision }) => decision.name === query.person).length, genuine.length),
      wrongAccept: rate(genuineDecisions.filter(({ query, decision }) => decision.name !== null && decision.name !== query.person).length, genuine.length),
      strangerAccept: rate(strangerDecisions.filter(({ decision }) => decision.name !== null).length, strangers.length),
      strangerAccepted: strangerDecisions.filter(({ decision }) => decision.name !== null).map(({ query, decision }) => `${query.photo} as ${decision.name} (${decision.distance?.toFixed(3)})`),
    }
  }
  const [appRule, ...others] = candidates(descriptors)

  // Agreement over several photos of one stranger, as the live rule asks of a tracked face's frames:
  // a stranger's photos, all queried, name them only if most agree on one person within threshold + agreement.
  const strangerSets = [...usableByPerson.keys()].flatMap((person) => {
    const own = strangers.filter((query) => query.person === person)
    if (own.length < 3) return []
    const votes = new Map<string, number>()
    for (const query of own) {
      const vote = decide(query.ranked, defaultDecisionRule)
      const name = vote.name ?? vote.tentative
      if (name) votes.set(name, (votes.get(name) ?? 0) + 1)
    }
    const [leader, count] = [...votes].sort((a, b) => b[1] - a[1])[0] ?? [null, 0]
    const distances = own.map((query) => query.ranked.find(({ name }) => name === leader)?.distance ?? Infinity).sort((a, b) => a - b)
    return [{ person, photos: own.length, leader, votes: count, distances, accepted: count >= 3 && count * 2 > own.length }]
  })

  return { people: usableByPerson.size, enrolled, genuine, strangers, app: score(appRule!), others: others.map(score), strangerSets }
}

/** Enrollment coverage: of the people with `minimumPhotos` photos or more, those with as many usable. */
function coverage(photos: LabeledPhoto[], descriptors: Map<string, Float32Array>, minimumPhotos = 3) {
  const people = [...new Set(photos.map((photo) => photo.person))].map((person) => {
    const own = photos.filter((photo) => photo.person === person)
    return { person, photos: own.length, usable: own.filter((photo) => descriptors.has(photo.key)).length }
  })
  const eligible = people.filter((person) => person.photos >= minimumPhotos)
  const short = eligible.filter((person) => person.usable < minimumPhotos)
  return { minimumPhotos, covered: eligible.length - short.length, of: eligible.length, short }
}

function rate(count: number, of: number): number {
  return of ? count / of : 0
}

/** Correct accepts against stranger accepts as the app's threshold moves, the decision score being the nearest distance. */
function rocPoints(genuine: Query[], strangers: Query[]): RocPoint[] {
  const thresholds = [...new Set([...genuine, ...strangers].map((query) => query.ranked[0]?.distance ?? Infinity))].sort((a, b) => a - b)
  return [0, ...thresholds.map((t) => t + 1e-9)].map((threshold) => ({
    threshold,
    correctAccept: rate(genuine.filter((query) => query.ranked[0]!.name === query.person && query.ranked[0]!.distance < threshold).length, genuine.length),
    strangerAccept: rate(strangers.filter((query) => query.ranked[0]!.distance < threshold).length, strangers.length),
  }))
}

const percent = (value: number) => `${(value * 100).toFixed(1)}%`

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    args: process.argv.slice(2),
    allowPositionals: true,
    options: { gallery: { type: 'string', default: '3' }, json: { type: 'boolean', default: false }, roc: { type: 'string' } },
  })
  const gallerySize = Number(values.gallery)
  if (positionals.length !== 1 || !Number.isInteger(gallerySize) || gallerySize < 1) throw new Error(usage)
  const folder = path.resolve(positionals[0]!)
  // With --json, stdout holds only the JSON object; progress goes to stderr either way.
  const log = (line: string) => console.error(line)
  const print = values.json ? () => {} : (line: string) => console.log(line)

  const photos = await readPhotoSet(folder)
  log(`${photos.length} photos of ${new Set(photos.map((photo) => photo.person)).size} people in ${folder}`)
  const { descriptors, unusable, notes } = await describe(photos, log)
  const result = evaluate(photos, descriptors, gallerySize)
  const rocFile = path.resolve(values.roc ?? path.join('bench', 'results', `eval-${path.basename(folder)}-roc.png`))
  await mkdir(path.dirname(rocFile), { recursive: true })
  const points = rocPoints(result.genuine, result.strangers)
  await writeFile(rocFile, await renderRoc(points, { title: `${path.basename(folder)}: gallery ${gallerySize} a person`, operating: defaultDecisionRule.threshold }))

  const summary = {
    folder,
    gallerySize,
    rule: defaultDecisionRule,
    people: result.people,
    photos: photos.length,
    queries: result.genuine.length,
    correctAccept: result.app.correctAccept,
    wrongAccept: result.app.wrongAccept,
    strangerProbes: result.strangers.length,
    strangerAccept: result.app.strangerAccept,
    unusablePhotos: unusable.length,
    enrollmentCoverage: coverage(photos, descriptors),
    unusable,
    retried: notes,
    strangersAccepted: result.app.strangerAccepted,
    strangerSets: result.strangerSets,
    candidates: result.others,
    roc: rocFile,
  }
  if (values.json) {
    console.log(JSON.stringify(summary))
    return
  }
  print(`\nGallery: each person's first ${gallerySize} usable photos (fewer when a person has fewer, one left to query).`)
  print(`App rule: nearest enrolled descriptor below ${defaultDecisionRule.threshold}, margin ${defaultDecisionRule.margin}.`)
  print(`  genuine queries     ${summary.queries}`)
  print(`  correct accept      ${percent(summary.correctAccept)}`)
  print(`  wrong accept        ${percent(summary.wrongAccept)}`)
  print(`  stranger probes     ${summary.strangerProbes} (each person left out in turn)`)
  print(`  stranger accept     ${percent(summary.strangerAccept)}${summary.strangersAccepted.length ? `: ${summary.strangersAccepted.join(', ')}` : ''}`)
  const { covered, of, short, minimumPhotos } = summary.enrollmentCoverage
  print(`  enrollment coverage  ${covered} of ${of} people with ${minimumPhotos}+ photos have ${minimumPhotos}+ usable${short.length ? `; short: ${short.map((person) => `${person.person} (${person.usable} of ${person.photos})`).join(', ')}` : ''}`)
  print(`  unusable photos     ${summary.unusablePhotos}`)
  for (const photo of unusable) print(`    ${photo.photo}: ${photo.reason}, ${photo.detail}`)
  for (const { photo, note } of notes) print(`    ${photo}: usable after a retry. ${note}`)
  print('\nOther rules on the same queries (correct / wrong / strangers):')
  for (const row of result.others) print(`  ${row.rule.padEnd(48)} ${percent(row.correctAccept).padStart(6)} ${percent(row.wrongAccept).padStart(6)} ${percent(row.strangerAccept).padStart(6)}`)
  const named = result.strangerSets.filter((set) => set.accepted)
  print(`\nStrangers' photo sets under the live agreement rule (most of 3+ photos within ${(defaultDecisionRule.threshold + defaultDecisionRule.agreement).toFixed(2)} of one person): ${named.length} of ${result.strangerSets.length} named`)
  for (const set of result.strangerSets.filter((s) => s.votes > 0)) print(`  ${set.person}: ${set.votes} of ${set.photos} photos near ${set.leader} (${set.distances.map((d) => d.toFixed(3)).join(', ')})${set.accepted ? ' → named' : ''}`)
  print(`\nROC curve: ${path.relative(process.cwd(), rocFile)}`)
}

try {
  await main()
} catch (err) {
  console.error(err instanceof Error ? err.message : err)
  process.exitCode = 1
}
