// `npm run calibrate [-- --fixtures DIR]`: measures where recognition's "unknown" threshold should sit.
// Descriptors come from the app's own enrollment code, on photos stored the way the app stores them
// (normalized to 320x247), with the unnormalized photos beside them for reference. Prints tables and a
// recommendation, and writes every figure to bench/results/calibration.json.
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { appRoot } from '../api/paths.js'
import { normalizePhoto } from '../api/photos/image.js'
import { euclideanDistance, meanDescriptor } from '../shared/face/descriptor.js'
import { quantile } from '../shared/stats.js'
import { enrollDefaults, enrollFace, type FaceRuntime } from '../shared/face/enroll.js'
import { decodePhoto, nodeFaceRuntime } from '../api/faces/node-runtime.js'
import { peopleFromPairs, photoNumber, readCsv, type LabeledPair, type UnusablePhoto } from './lib/photo-sets.js'

const variants = ['normalized', 'raw'] as const
type Variant = (typeof variants)[number]

/** The false-accept rate aimed for: strangers named in identification, different-person pairs accepted in verification. */
const targetFalseAccept = 0.01
const targetTrueAccept = 0.95

/** Grids in hundredths, so that no threshold carries floating-point drift. */
const verificationGrid = range(30, 70).map((hundredths) => hundredths / 100)
const identificationThresholds = range(35, 60).map((hundredths) => hundredths / 100)
const identificationMargins = range(0, 15).map((hundredths) => hundredths / 100)
/** Gallery sizes tried in identification: each person's first photos, leaving at least one to query. */
const gallerySizes = [1, 3]
/**
 * How a query's distance to a person is taken: to the nearest of their descriptors, to the mean of
 * their descriptors, or the mean of the distances to each (what face-api's FaceMatcher does).
 */
const matchRules = ['nearest', 'mean-descriptor', 'mean-distance'] as const
type MatchRule = (typeof matchRules)[number]

interface Photo {
  /** As the pairs name it: `img1.jpg`, or `people/<person>/<file>` for the fixture people. */
  key: string
  person: string
  file: string
}

interface Extraction {
  descriptors: Map<string, Float32Array>
  unusable: UnusablePhoto[]
}

interface SweepRow {
  threshold: number
  trueAcceptRate: number
  falseAcceptRate: number
  accuracy: number
  trueAccepts: number
  falseAccepts: number
}

interface DistanceStats {
  count: number
  mean: number
  sd: number
  min: number
  p1: number
  p5: number
  median: number
  p95: number
  p99: number
  max: number
}

interface VerificationReport {
  pairs: number
  samePairs: number
  differentPairs: number
  skippedPairs: number
  /** The farthest same-person pair and the closest different-person pair: where the overlap starts and ends. */
  farthestSame: { a: string; b: string; distance: number } | null
  closestDifferent: { a: string; b: string; distance: number } | null
  sameDistances: DistanceStats | null
  differentDistances: DistanceStats | null
  bestAccuracy: { accuracy: number; thresholds: [number, number] }
  smallestThresholdWithTar95: number | null
  largestThresholdWithFar01: number | null
  sweep: SweepRow[]
  distances: (LabeledPair & { distance: number })[]
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, index) => from + index)
}

function distanceStats(distances: number[]): DistanceStats | null {
  if (!distances.length) return null
  const sorted = [...distances].sort((a, b) => a - b)
  const mean = sorted.reduce((sum, value) => sum + value, 0) / sorted.length
  const sd = Math.sqrt(sorted.reduce((sum, value) => sum + (value - mean) ** 2, 0) / sorted.length)
  const at = (fraction: number) => quantile(sorted, fraction)!
  return { count: sorted.length, mean, sd, min: sorted[0]!, p1: at(0.01), p5: at(0.05), median: at(0.5), p95: at(0.95), p99: at(0.99), max: sorted.at(-1)! }
}

async function descriptorOf(runtime: FaceRuntime, photo: Photo, variant: Variant): Promise<Float32Array | UnusablePhoto> {
  let image
  try {
    const bytes = await readFile(photo.file)
    image = await decodePhoto(variant === 'normalized' ? await normalizePhoto(bytes, photo.key) : bytes)
  } catch (err) {
    return { photo: photo.key, reason: 'unreadable', detail: err instanceof Error ? err.message : String(err) }
  }
  try {
    const result = await enrollFace(runtime, image, enrollDefaults)
    return result.ok ? result.descriptor : { photo: photo.key, reason: result.reason, detail: result.detail }
  } finally {
    image.dispose()
  }
}

async function extractAll(runtime: FaceRuntime, photos: Photo[], variant: Variant, label: string): Promise<Extraction> {
  const extraction: Extraction = { descriptors: new Map(), unusable: [] }
  const startedAt = Date.now()
  for (const [index, photo] of photos.entries()) {
    const result = await descriptorOf(runtime, photo, variant)
    if (result instanceof Float32Array) extraction.descriptors.set(photo.key, result)
    else extraction.unusable.push(result)
    const done = index + 1
    if (done === photos.length || done % 20 === 0) {
      const seconds = (Date.now() - startedAt) / 1000
      console.error(`  ${label}, ${variant}: ${done}/${photos.length} photos, ${seconds.toFixed(1)} s`)
    }
  }
  return extraction
}

function verify(pairs: LabeledPair[], descriptors: Map<string, Float32Array>): VerificationReport {
  const measured = pairs.flatMap((pair) => {
    const [a, b] = [descriptors.get(pair.a), descriptors.get(pair.b)]
    return a && b ? [{ ...pair, distance: euclideanDistance(a, b) }] : []
  })
  const same = measured.filter((pair) => pair.same)
  const different = measured.filter((pair) => !pair.same)
  const sweep = verificationGrid.map((threshold): SweepRow => {
    const trueAccepts = same.filter((pair) => pair.distance < threshold).length
    const falseAccepts = different.filter((pair) => pair.distance < threshold).length
    return {
      threshold,
      trueAcceptRate: trueAccepts / same.length,
      falseAcceptRate: falseAccepts / different.length,
      accuracy: (trueAccepts + different.length - falseAccepts) / measured.length,
      trueAccepts,
      falseAccepts,
    }
  })
  const best = Math.max(...sweep.map((row) => row.accuracy))
  const bestRows = sweep.filter((row) => row.accuracy === best)
  const extreme = (list: typeof measured, pick: (a: number, b: number) => boolean) =>
    list.reduce<(typeof measured)[number] | null>((found, pair) => (!found || pick(pair.distance, found.distance) ? pair : found), null)
  const summarize = (pair: (typeof measured)[number] | null) => pair && { a: pair.a, b: pair.b, distance: pair.distance }
  return {
    pairs: measured.length,
    samePairs: same.length,
    differentPairs: different.length,
    skippedPairs: pairs.length - measured.length,
    farthestSame: summarize(extreme(same, (a, b) => a > b)),
    closestDifferent: summarize(extreme(different, (a, b) => a < b)),
    sameDistances: distanceStats(same.map((pair) => pair.distance)),
    differentDistances: distanceStats(different.map((pair) => pair.distance)),
    bestAccuracy: { accuracy: best, thresholds: [bestRows[0]!.threshold, bestRows.at(-1)!.threshold] },
    smallestThresholdWithTar95: sweep.find((row) => row.trueAcceptRate >= targetTrueAccept)?.threshold ?? null,
    largestThresholdWithFar01: sweep.findLast((row) => row.falseAcceptRate <= targetFalseAccept)?.threshold ?? null,
    sweep,
    distances: measured,
  }
}

/** Best accuracy over every threshold that the distances themselves suggest (same person when distance ≤ threshold). */
function bestThresholdAccuracy(pairs: { same: boolean; distance: number }[]) {
  const candidates = [...new Set(pairs.map((pair) => pair.distance))].sort((a, b) => a - b)
  let best = { threshold: Number.NaN, accuracy: -1, trueAcceptRate: 0, falseAcceptRate: 0 }
  const sameCount = pairs.filter((pair) => pair.same).length
  for (const threshold of candidates) {
    const trueAccepts = pairs.filter((pair) => pair.same && pair.distance <= threshold).length
    const falseAccepts = pairs.filter((pair) => !pair.same && pair.distance <= threshold).length
    const accuracy = (trueAccepts + pairs.length - sameCount - falseAccepts) / pairs.length
    if (accuracy > best.accuracy) {
      best = { threshold, accuracy, trueAcceptRate: trueAccepts / sameCount, falseAcceptRate: falseAccepts / (pairs.length - sameCount) }
    }
  }
  return best
}

function deepfaceReference(rows: Record<string, string>[], descriptors: Map<string, Float32Array>) {
  const metrics = Object.keys(rows[0]!).filter((column) => !['file_x', 'file_y', 'decision'].includes(column))
  const reference = metrics.map((metric) => ({
    model: metric,
    pairs: rows.length,
    ...bestThresholdAccuracy(rows.map((row) => ({ same: row.decision === 'Yes', distance: Number(row[metric]) }))),
  }))
  const ours = rows.flatMap((row) => {
    const [a, b] = [descriptors.get(row.file_x!), descriptors.get(row.file_y!)]
    return a && b ? [{ same: row.decision === 'Yes', distance: euclideanDistance(a, b) }] : []
  })
  return { reference, facer: { model: 'facer (face-api) euclidean', pairs: ours.length, skippedPairs: rows.length - ours.length, ...bestThresholdAccuracy(ours) } }
}

interface Ranked {
  query: string
  truePerson: string
  best: string
  bestDistance: number
  /** Distance to the second-nearest person; Infinity when the gallery holds only one. */
  secondDistance: number
}

function personDistance(query: Float32Array, descriptors: Float32Array[], rule: MatchRule): number {
  const distances = descriptors.map((descriptor) => euclideanDistance(query, descriptor))
  if (rule === 'nearest') return Math.min(...distances)
  if (rule === 'mean-distance') return distances.reduce((sum, distance) => sum + distance, 0) / distances.length
  return euclideanDistance(query, meanDescriptor(descriptors))
}

function rank(photo: Photo, query: Float32Array, gallery: Map<string, Float32Array[]>, rule: MatchRule): Ranked {
  const distances = [...gallery].map(([person, descriptors]) => ({ person, distance: personDistance(query, descriptors, rule) }))
  distances.sort((a, b) => a.distance - b.distance)
  return {
    query: photo.key,
    truePerson: photo.person,
    best: distances[0]!.person,
    bestDistance: distances[0]!.distance,
    secondDistance: distances[1]?.distance ?? Infinity,
  }
}

function accepted(ranked: Ranked, threshold: number, margin: number): boolean {
  // A hair of slack, so that a gap of exactly the margin is not lost to float error.
  return ranked.bestDistance < threshold && ranked.secondDistance - ranked.bestDistance >= margin - 1e-9
}

interface IdentificationRow {
  threshold: number
  margin: number
  /** Genuine queries named as their own person. */
  correctAcceptRate: number
  /** Genuine queries named as someone else: as bad as a stranger let in. */
  wrongPersonRate: number
  /** Strangers (people left out of the gallery) named as someone. */
  strangerAcceptRate: number
}

function identify(photos: Photo[], descriptors: Map<string, Float32Array>, gallerySize: number, rule: MatchRule) {
  const byPerson = new Map<string, Photo[]>()
  for (const photo of photos) {
    if (descriptors.has(photo.key)) byPerson.set(photo.person, [...(byPerson.get(photo.person) ?? []), photo])
  }
  const enrolled = new Map([...byPerson].map(([person, own]) => [person, own.slice(0, Math.max(1, Math.min(gallerySize, own.length - 1)))]))
  const gallery = (without?: string) =>
    new Map(
      [...enrolled]
        .filter(([person]) => person !== without)
        .map(([person, own]) => [person, own.map((photo) => descriptors.get(photo.key)!)]),
    )

  const full = gallery()
  const genuine = [...byPerson].flatMap(([person, own]) =>
    own.filter((photo) => !enrolled.get(person)!.includes(photo)).map((photo) => rank(photo, descriptors.get(photo.key)!, full, rule)),
  )
  const strangers = [...byPerson].flatMap(([person, own]) => {
    const others = gallery(person)
    return own.map((photo) => rank(photo, descriptors.get(photo.key)!, others, rule))
  })
  const rows = identificationThresholds.flatMap((threshold) =>
    identificationMargins.map((margin): IdentificationRow => {
      const genuineAccepted = genuine.filter((ranked) => accepted(ranked, threshold, margin))
      return {
        threshold,
        margin,
        correctAcceptRate: genuineAccepted.filter((ranked) => ranked.best === ranked.truePerson).length / genuine.length,
        wrongPersonRate: genuineAccepted.filter((ranked) => ranked.best !== ranked.truePerson).length / genuine.length,
        strangerAcceptRate: strangers.filter((ranked) => accepted(ranked, threshold, margin)).length / strangers.length,
      }
    }),
  )
  const isSafe = (row: IdentificationRow) => row.strangerAcceptRate <= targetFalseAccept && row.wrongPersonRate <= targetFalseAccept
  // The strictest threshold (then the smallest margin) that reaches the best genuine rate: the most
  // room against strangers for no loss on the genuine queries measured.
  const bestOf = (candidates: IdentificationRow[]) =>
    candidates.reduce<IdentificationRow | null>((found, row) => (!found || row.correctAcceptRate > found.correctAcceptRate ? row : found), null)
  const withoutMargin = rows.filter((row) => row.margin === 0)
  const firstUnsafe = withoutMargin.find((row) => !isSafe(row))
  return {
    gallerySize,
    rule,
    people: byPerson.size,
    genuineQueries: genuine.length,
    strangerQueries: strangers.length,
    rankOneRate: genuine.filter((ranked) => ranked.best === ranked.truePerson).length / genuine.length,
    /** The strangers that came nearest to being named, and whom they were taken for. */
    closestStrangers: [...strangers]
      .sort((a, b) => a.bestDistance - b.bestDistance)
      .slice(0, 3)
      .map((ranked) => ({ query: ranked.query, person: ranked.truePerson, takenFor: ranked.best, distance: ranked.bestDistance })),
    /** Genuine queries farthest from their own person: what a strict threshold turns away first. */
    farthestGenuine: [...genuine]
      .sort((a, b) => b.bestDistance - a.bestDistance)
      .slice(0, 3)
      .map((ranked) => ({ query: ranked.query, person: ranked.truePerson, nearest: ranked.best, distance: ranked.bestDistance })),
    bestSafe: bestOf(rows.filter(isSafe)),
    bestSafeWithoutMargin: bestOf(withoutMargin.filter(isSafe)),
    /** The largest threshold up to which, with no margin, strangers and wrong people stay within target. */
    largestSafeThreshold: firstUnsafe ? Math.round(firstUnsafe.threshold * 100 - 1) / 100 : identificationThresholds.at(-1)!,
    /** Above that threshold: the smallest margin that brings it back within target, and what it costs. */
    marginRescue: identificationThresholds
      .filter((threshold) => firstUnsafe && threshold >= firstUnsafe.threshold)
      .map((threshold) => rows.find((row) => row.threshold === threshold && isSafe(row)) ?? { threshold, margin: null }),
    rows,
  }
}

type IdentificationReport = ReturnType<typeof identify>

const percent = (value: number) => `${(value * 100).toFixed(1).padStart(5)}%`
const fixed = (value: number | null | undefined) => (value == null ? '  —  ' : value.toFixed(2))

function printVerification(title: string, report: VerificationReport): void {
  console.log(`\n${title}: ${report.pairs} pairs (${report.samePairs} same, ${report.differentPairs} different), ${report.skippedPairs} skipped`)
  const same = report.sameDistances
  const different = report.differentDistances
  if (same && different) {
    console.log(`  same-person distances: median ${fixed(same.median)}, 95th percentile ${fixed(same.p95)}, max ${fixed(same.max)} (${report.farthestSame?.a} ~ ${report.farthestSame?.b})`)
    console.log(`  different-person distances: min ${fixed(different.min)} (${report.closestDifferent?.a} ~ ${report.closestDifferent?.b}), 1st percentile ${fixed(different.p1)}, 5th ${fixed(different.p5)}, median ${fixed(different.median)}`)
  }
  console.log('  threshold    TAR      FAR   accuracy')
  for (const row of report.sweep.filter((_, index) => index % 2 === 0)) {
    console.log(`    ${fixed(row.threshold)}    ${percent(row.trueAcceptRate)}  ${percent(row.falseAcceptRate)}  ${percent(row.accuracy)}`)
  }
  console.log(
    `  best accuracy ${percent(report.bestAccuracy.accuracy)} at ${fixed(report.bestAccuracy.thresholds[0])}–${fixed(report.bestAccuracy.thresholds[1])}; ` +
      `smallest threshold with TAR ≥ 95%: ${fixed(report.smallestThresholdWithTar95)}; largest with FAR ≤ 1%: ${fixed(report.largestThresholdWithFar01)}`,
  )
}

const shownMargins = [0, 0.05, 0.1, 0.15]

function printIdentificationSummary(report: IdentificationReport): void {
  const describe = (row: IdentificationRow | null) =>
    row ? `${fixed(row.threshold)} margin ${fixed(row.margin)} (correct ${percent(row.correctAcceptRate)}, strangers ${percent(row.strangerAcceptRate)})` : 'none'
  const closest = report.closestStrangers[0]
  console.log(
    `  gallery ${report.gallerySize}, ${report.rule.padEnd(15)} ${report.genuineQueries} genuine / ${report.strangerQueries} stranger queries; rank-1 ${percent(report.rankOneRate)}; ` +
      `closest stranger ${fixed(closest?.distance)} (${closest?.query} as ${closest?.takenFor}); strangers ≤ 1% up to ${fixed(report.largestSafeThreshold)}; best within target: ${describe(report.bestSafe)}`,
  )
}

function printIdentificationTable(report: IdentificationReport): void {
  printIdentificationSummary(report)
  console.log(`      threshold  ${shownMargins.map((margin) => `margin ${fixed(margin)}: correct / stranger`.padEnd(36)).join('')}`)
  for (const threshold of identificationThresholds) {
    const cells = shownMargins.map((margin) => {
      const row = report.rows.find((candidate) => candidate.threshold === threshold && candidate.margin === margin)!
      return `${percent(row.correctAcceptRate)} / ${percent(row.strangerAcceptRate)}`.padEnd(36)
    })
    console.log(`        ${fixed(threshold)}     ${cells.join('')}`)
  }
  const wrong = Math.max(...report.rows.map((row) => row.wrongPersonRate))
  if (wrong > 0) console.log(`      genuine queries named as someone else: up to ${percent(wrong)} on this grid`)
}

interface VariantResults {
  unusable: { verification: UnusablePhoto[]; fixtures: UnusablePhoto[] }
  verification: { master: VerificationReport; allPairs: VerificationReport }
  fixtures: VerificationReport
  deepface: ReturnType<typeof deepfaceReference>
  identification: IdentificationReport[]
  combinedIdentification: IdentificationReport[]
}

async function measure(runtime: FaceRuntime, variant: Variant, sets: {
  master: LabeledPair[]
  pivot: Record<string, string>[]
  verificationPhotos: Photo[]
  verificationAllPairs: LabeledPair[]
  fixturePhotos: Photo[]
  fixturePairs: LabeledPair[]
}): Promise<VariantResults> {
  const verification = await extractAll(runtime, sets.verificationPhotos, variant, 'verification')
  const fixtures = await extractAll(runtime, sets.fixturePhotos, variant, 'fixture people')
  console.log(`\n===== ${variant} photos${variant === 'normalized' ? ' (320x247, as the app stores them)' : ' (as given, for reference)'} =====`)
  for (const unusable of [...verification.unusable, ...fixtures.unusable]) {
    console.log(`  unusable: ${unusable.photo}: ${unusable.reason} (${unusable.detail})`)
  }
  const master = verify(sets.master, verification.descriptors)
  const allPairs = verify(sets.verificationAllPairs, verification.descriptors)
  const fixtureReport = verify(sets.fixturePairs, fixtures.descriptors)
  printVerification('master.csv pairs', master)
  printVerification('verification set, every pair of photos', allPairs)
  printVerification('fixture people, every pair of photos', fixtureReport)

  const deepface = deepfaceReference(sets.pivot, verification.descriptors)
  console.log(`\npivot.csv pairs, accuracy at each model's best threshold (fitted on these same pairs):`)
  for (const entry of [...deepface.reference, deepface.facer]) {
    console.log(
      `  ${entry.model.padEnd(28)} ${percent(entry.accuracy)} at ${entry.threshold.toFixed(4)} (TAR ${percent(entry.trueAcceptRate)}, FAR ${percent(entry.falseAcceptRate)}, ${entry.pairs} pairs)`,
    )
  }

  const identification = gallerySizes.flatMap((size) => matchRules.map((rule) => identify(sets.verificationPhotos, verification.descriptors, size, rule)))
  const combined = [...sets.verificationPhotos, ...sets.fixturePhotos]
  const combinedDescriptors = new Map([...verification.descriptors, ...fixtures.descriptors])
  const combinedIdentification = gallerySizes.flatMap((size) => matchRules.map((rule) => identify(combined, combinedDescriptors, size, rule)))
  console.log('\nIdentification on the verification set (gallery: each person\'s first photos; strangers: each person left out in turn)')
  identification.forEach(variant === 'normalized' ? printIdentificationTable : printIdentificationSummary)
  console.log('\nIdentification on both sets together, for a second look')
  combinedIdentification.forEach(printIdentificationSummary)

  return {
    unusable: { verification: verification.unusable, fixtures: fixtures.unusable },
    verification: { master, allPairs },
    fixtures: fixtureReport,
    deepface,
    identification,
    combinedIdentification,
  }
}

function recommend(results: Record<Variant, VariantResults>) {
  // The app asks for at least three usable photos per person, and stores photos normalized: that is its normal case.
  const primary = results.normalized.identification.filter((report) => report.gallerySize === Math.max(...gallerySizes))
  // Per rule, the thresholds at which no error was seen: from the strictest that accepts every genuine
  // query it can, to the last before a stranger gets in. The middle leaves equal room on both sides.
  const windows = primary.flatMap((report) => {
    const from = report.bestSafeWithoutMargin?.threshold
    if (from === undefined || from > report.largestSafeThreshold) return []
    const [fromHundredths, toHundredths] = [Math.round(from * 100), Math.round(report.largestSafeThreshold * 100)]
    return [{
      rule: report.rule,
      from,
      to: report.largestSafeThreshold,
      correctAcceptRate: report.bestSafeWithoutMargin!.correctAcceptRate,
      middle: Math.floor((fromHundredths + toHundredths) / 2) / 100,
      width: toHundredths - fromHundredths,
    }]
  })
  const chosen = windows.reduce((best, window) => (window.width > best.width ? window : best))
  const threshold = chosen.middle
  const report = primary.find((candidate) => candidate.rule === chosen.rule)!
  const marginHelps = (report.bestSafe?.correctAcceptRate ?? 0) > (report.bestSafeWithoutMargin?.correctAcceptRate ?? 0)
  const pairsAt = (verification: VerificationReport) => {
    const row = verification.sweep.find((candidate) => candidate.threshold === threshold)!
    return { trueAcceptRate: row.trueAcceptRate, falseAcceptRate: row.falseAcceptRate, accuracy: row.accuracy }
  }
  const identificationAt = (reports: IdentificationReport[]) =>
    reports.map((identification) => {
      const row = identification.rows.find((candidate) => candidate.threshold === threshold && candidate.margin === 0)!
      return {
        gallerySize: identification.gallerySize,
        rule: identification.rule,
        correctAcceptRate: row.correctAcceptRate,
        wrongPersonRate: row.wrongPersonRate,
        strangerAcceptRate: row.strangerAcceptRate,
      }
    })
  return {
    rule: chosen.rule,
    threshold,
    margin: 0,
    marginHelps,
    windows,
    how:
      'normalized photos, three-photo gallery, no margin: per rule, the thresholds with strangers and wrong people ≤ 1% and the ' +
      'best genuine rate; the rule with the widest such window, at its middle; a margin only if one raised the genuine rate within target',
    at: Object.fromEntries(
      variants.map((variant) => [
        variant,
        {
          masterPairs: pairsAt(results[variant].verification.master),
          allVerificationPairs: pairsAt(results[variant].verification.allPairs),
          fixturePairs: pairsAt(results[variant].fixtures),
          identification: identificationAt(results[variant].identification),
          combinedIdentification: identificationAt(results[variant].combinedIdentification),
        },
      ]),
    ),
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: { fixtures: { type: 'string', default: path.join(appRoot, 'tests', 'fixtures') } },
  })
  const fixturesDir = path.resolve(values.fixtures!)
  const verificationDir = path.join(fixturesDir, 'verification')
  const facesDir = path.join(fixturesDir, 'faces')

  const master: LabeledPair[] = readCsv(await readFile(path.join(verificationDir, 'master.csv'), 'utf8')).map((row) => ({
    a: row.file_x!,
    b: row.file_y!,
    same: row.Decision === 'Yes',
  }))
  const pivot = readCsv(await readFile(path.join(verificationDir, 'pivot.csv'), 'utf8'))
  const personOf = peopleFromPairs([...master, ...pivot.map((row) => ({ a: row.file_x!, b: row.file_y!, same: row.decision === 'Yes' }))])
  const verificationPhotos: Photo[] = [...personOf]
    .map(([key, person]) => ({ key, person, file: path.join(verificationDir, 'images', key) }))
    .sort((a, b) => photoNumber(a.key) - photoNumber(b.key))

  const manifest = JSON.parse(await readFile(path.join(facesDir, 'manifest.json'), 'utf8')) as { people: Record<string, string[]> }
  const fixturePhotos: Photo[] = Object.entries(manifest.people).flatMap(([person, keys]) =>
    keys.map((key) => ({ key, person, file: path.join(facesDir, key) })),
  )
  const everyPair = (photos: Photo[]): LabeledPair[] =>
    photos.flatMap((a, index) => photos.slice(index + 1).map((b) => ({ a: a.key, b: b.key, same: a.person === b.person })))
  const sets = { master, pivot, verificationPhotos, verificationAllPairs: everyPair(verificationPhotos), fixturePhotos, fixturePairs: everyPair(fixturePhotos) }
  console.log(
    `Verification set: ${verificationPhotos.length} photos of ${new Set(personOf.values()).size} people; ` +
      `fixture people: ${fixturePhotos.length} photos of ${Object.keys(manifest.people).length}.`,
  )

  const runtime = await nodeFaceRuntime()
  const results = {} as Record<Variant, VariantResults>
  for (const variant of variants) results[variant] = await measure(runtime, variant, sets)

  const recommendation = recommend(results)
  const at = recommendation.at.normalized!
  console.log('\nNo-error windows (normalized photos, three-photo gallery, no margin):')
  for (const window of recommendation.windows) {
    console.log(`  ${window.rule.padEnd(15)} ${fixed(window.from)}–${fixed(window.to)} (genuine ${percent(window.correctAcceptRate)}), middle ${fixed(window.middle)}`)
  }
  console.log(
    `Recommendation: ${recommendation.rule}, threshold ${fixed(recommendation.threshold)}, margin ${fixed(recommendation.margin)}` +
      (recommendation.marginHelps ? ' (a margin raised the genuine rate within target: see the tables)' : ' (no margin raised the genuine rate within target)'),
  )
  console.log(`  at ${fixed(recommendation.threshold)} on normalized photos:`)
  for (const [name, pairs] of [['master.csv pairs', at.masterPairs], ['every verification pair', at.allVerificationPairs], ['fixture people pairs', at.fixturePairs]] as const) {
    console.log(`    ${name.padEnd(24)} TAR ${percent(pairs.trueAcceptRate)}, FAR ${percent(pairs.falseAcceptRate)}, accuracy ${percent(pairs.accuracy)}`)
  }
  for (const row of at.identification) {
    console.log(`    identification, gallery ${row.gallerySize}, ${row.rule.padEnd(15)} correct ${percent(row.correctAcceptRate)}, wrong person ${percent(row.wrongPersonRate)}, strangers ${percent(row.strangerAcceptRate)}`)
  }

  const resultsDir = path.join(appRoot, 'bench', 'results')
  await mkdir(resultsDir, { recursive: true })
  const output = path.join(resultsDir, 'calibration.json')
  await writeFile(output, `${JSON.stringify({ measuredAt: new Date().toISOString(), enrollOptions: enrollDefaults, recommendation, ...results }, null, 2)}\n`)
  console.log(`Wrote ${path.relative(process.cwd(), output)}`)
}

try {
  await main()
} catch (err) {
  console.error(err instanceof Error ? err.stack : err)
  process.exitCode = 1
}
