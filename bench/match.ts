// `npm run bench:match [-- --skip-page]`: how long one face takes to match against 1,000, 10,000 and
// 100,000 stored descriptors, with shared/face/match.ts and with face-api's FaceMatcher.findBestMatch,
// in Node and in Chromium (the same workload, bench/match/workload.ts, bundled for the page), and with
// the server's matcher (POST /api/faces/match, api/faces/matcher.ts) in Node. Prints a table and writes
// every figure to bench/results/match.json.
import { parseArgs } from 'node:util'
import { launchBrowser } from '../tests/support/browser.js'
import { describeMachine, recordMachine } from './lib/machine.js'
import { bundleForPage, faceApiRoutes, serveBenchPages } from './lib/pages.js'
import { writeResults } from './lib/results.js'
import { timeServerMatcher } from './match/server.js'
import { combine, faceMatcherBudget, makeCases, queryCount, timeFaceMatcher, timeMatchDescriptor, warmUpCount, type FaceMatcherApi, type MatchResult, type Timing } from './match/workload.js'

const { values: args } = parseArgs({ options: { 'skip-page': { type: 'boolean', default: false } } })
const targetMs = 5

async function inNode(): Promise<(MatchResult & { serverMatcher: Timing })[]> {
  const cases = makeCases()
  const ours = timeMatchDescriptor(cases)
  const server = timeServerMatcher(cases)
  const faceapi = (await import('@vladmandic/face-api/dist/face-api.node-wasm.js')) as unknown as FaceMatcherApi
  return combine(cases, ours, timeFaceMatcher(faceapi, cases)).map((result, index) => ({ ...result, serverMatcher: server[index]! }))
}

async function inPage(): Promise<{ results: MatchResult[]; chromium: string | null; isolated: boolean }> {
  const pages = await serveBenchPages(
    {
      '/': { text: '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>match</title><script src="/match.js"></script></head><body></body></html>', type: 'text/html; charset=utf-8' },
      '/match.js': { text: await bundleForPage(new URL('./match/page.ts', import.meta.url).pathname), type: 'text/javascript; charset=utf-8' },
      '/face-api.js': faceApiRoutes()['/face-api.js']!,
    },
    { isolated: true },
  )
  const browser = await launchBrowser()
  try {
    const page = await browser.context.newPage()
    await page.goto(pages.url)
    const isolated = await page.evaluate(() => crossOriginIsolated)
    const results = await page.evaluate(() => (window as unknown as { runMatchBench(): Promise<MatchResult[]> }).runMatchBench())
    return { results, chromium: browser.context.browser()?.version() ?? null, isolated }
  } finally {
    await browser.close()
    await pages.close()
  }
}

const run = recordMachine()
const node = await inNode()
const page = args['skip-page'] ? null : await inPage()

const rows: (MatchResult & { where: string; serverMatcher?: Timing })[] = [
  ...node.map((result) => ({ where: 'Node', ...result })),
  ...(page?.results ?? []).map((result) => ({ where: 'Chromium', ...result })),
]
console.log(`Matching one face: median (p90) ms per query over ${queryCount} queries; FaceMatcher stops after ${faceMatcherBudget.milliseconds / 1000} s (at least ${faceMatcherBudget.minQueries} queries)`)
console.table(
  rows.map((row) => ({
    where: row.where,
    descriptors: row.descriptors,
    people: row.people,
    'matchDescriptor ms': `${row.matchDescriptor.medianMs} (${row.matchDescriptor.p90Ms})`,
    'server matcher ms': row.serverMatcher ? `${row.serverMatcher.medianMs} (${row.serverMatcher.p90Ms})` : '',
    'createGallery ms (from base64)': row.matchDescriptor.buildMs,
    'FaceMatcher ms': `${row.faceMatcher.medianMs} (${row.faceMatcher.p90Ms})`,
    'FaceMatcher queries': row.faceMatcher.queries,
    speedup: `${row.speedup}×`,
  })),
)
const at100k = rows.filter((row) => row.descriptors === 100_000)
const targets = Object.fromEntries(
  at100k.map((row) => [row.where, { target: `100,000 descriptors in ≤ ${targetMs} ms per query`, medianMs: row.matchDescriptor.medianMs, met: row.matchDescriptor.medianMs <= targetMs }]),
)
const server = node.find((result) => result.descriptors === 100_000)!.serverMatcher
Object.assign(targets, {
  'Node, server matcher': { target: `100,000 descriptors in ≤ ${targetMs} ms per query, exact decisions`, medianMs: server.medianMs, met: server.medianMs <= targetMs },
})
for (const [where, target] of Object.entries(targets)) console.log(`  ${where}: ${target.target} — ${target.medianMs} ms: ${target.met ? 'met' : 'NOT met'}`)
const machine = run.finish()
if (!machine.quiet) console.log(`  The machine was busy at the start (${describeMachine(machine)}): rerun when it is quiet.`)
await writeResults('match', machine, {
  settings: { queries: queryCount, warmUp: warmUpCount, faceMatcherBudget, pageCrossOriginIsolated: page?.isolated ?? null },
  results: { node, page: page?.results ?? null },
  targets,
})
