// `npm run bench:first-frame [-- --runs 3] [--server-matching]`: how long after navigating to
// /recognize the first face is named, cold (a fresh browser profile: empty cache) and warm (the same
// profile, navigating again). The page is driven as a person would: Start is clicked as soon as it is
// enabled. The camera plays the part of the fixture video where Lin-Manuel Miranda is in view, so the
// figure is the app's and not the clip's. With --server-matching, the kiosk of a large site: the
// model holds 100,000 more descriptors (seeded strangers) and the server names the faces
// (MATCH_ON_SERVER=1), so the page downloads no model. Prints a table, writes
// bench/results/first-frame.json (first-frame-server.json with --server-matching).
import { execFileSync } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import type { BrowserContext, Page } from 'playwright-core'
import { collectPageErrors, launchBrowser } from '../tests/support/browser.js'
import { encodeDescriptor } from '../shared/face/descriptor.js'
import { FaceModelSchema } from '../shared/face/model.js'
import { createTempDataDir, facesDir } from '../tests/support/data.js'
import { seededDescriptor } from '../tests/support/faces.js'
import { startServer } from '../tests/support/server.js'
import { registerWithFixtures, trainInNode, videoEnrollment } from './lib/enroll.js'
import { describeMachine, recordMachine } from './lib/machine.js'
import { readRecording, recordFrames, startCamera, waitUntilReady } from './lib/recognize-page.js'
import { median, round, writeResults } from './lib/results.js'

const { values: args } = parseArgs({ options: { runs: { type: 'string', default: '3' }, 'server-matching': { type: 'boolean', default: false } } })
const runs = Number(args.runs)
const serverMatching = args['server-matching']
/** With --server-matching: strangers added to the trained model, this many descriptors each. */
const strangers = { people: 1_000, descriptorsEach: 100 }

/** Adds the seeded strangers to the model that training wrote, as the next generation. */
async function addStrangers(dataDir: string): Promise<void> {
  const file = path.join(dataDir, 'faces.json')
  const model = FaceModelSchema.parse(JSON.parse(await readFile(file, 'utf8')))
  const added = Array.from({ length: strangers.people }, (_, person) => ({
    name: `stranger-${person}`,
    rejected: [],
    descriptors: Array.from({ length: strangers.descriptorsEach }, (_, photo) => ({
      photo: `photo-${photo}.jpg`,
      hash: '0'.repeat(64),
      detector: 'ssd_mobilenetv1' as const,
      box: null,
      descriptor: encodeDescriptor(seededDescriptor(person * strangers.descriptorsEach + photo + 1)),
    })),
  }))
  await writeFile(file, JSON.stringify({ ...model, generation: model.generation + 1, people: [...model.people, ...added] }))
}
const timeoutMs = 60_000
/** Seconds of the clip (from its video stream's start) in which every detector names Lin (bench/RECOGNITION.md). */
const linInView = { start: 5, end: 6.5 }
const cameraFps = 30

function linCameraVideo(dir: string): string {
  const output = path.join(dir, 'lin.y4m')
  const filters = `setpts=PTS-STARTPTS,trim=start=${linInView.start}:end=${linInView.end},setpts=PTS-STARTPTS,fps=${cameraFps}`
  execFileSync('ffmpeg', ['-loglevel', 'error', '-y', '-i', path.join(facesDir, 'video/short_hamilton_clip.mp4'), '-an', '-vf', filters, '-pix_fmt', 'yuv420p', output])
  return output
}

interface Navigation {
  /** Page times from the navigation's start, in ms: the networks loaded, then warmed up (Start enabled). */
  modelsLoadedMs: number | null
  readyMs: number | null
  clickMs: number | null
  firstFrameMs: number | null
  firstNamedMs: number | null
  name: string | null
  backend: string | null
  /** Bytes fetched over the network for this navigation (the cache's effect). */
  transferredKiB: number | null
  error: string | null
  pageErrors: string[]
}

/** When the models status turns ready: the networks are loaded; the warm-up run comes after. */
async function recordModelsLoaded(page: Page): Promise<void> {
  // Runs in the page: no named inner functions, which tsx would wrap in a helper the page does not have.
  await page.evaluate(() => {
    const state = window as unknown as { modelsLoadedAt: number | null }
    const status = document.querySelector('[data-testid="models-status"]')!
    state.modelsLoadedAt = status.getAttribute('data-status') === 'ready' ? performance.now() : null
    new MutationObserver(() => {
      if (state.modelsLoadedAt === null && status.getAttribute('data-status') === 'ready') state.modelsLoadedAt = performance.now()
    }).observe(status, { attributes: true, attributeFilter: ['data-status'] })
  })
}

async function navigate(context: BrowserContext, url: string): Promise<Navigation> {
  const page = await context.newPage()
  const pageErrors = collectPageErrors(page)
  const result: Navigation = { modelsLoadedMs: null, readyMs: null, clickMs: null, firstFrameMs: null, firstNamedMs: null, name: null, backend: null, transferredKiB: null, error: null, pageErrors }
  try {
    await page.goto(`${url}/recognize`, { waitUntil: 'commit' })
    await recordFrames(page, timeoutMs)
    await recordModelsLoaded(page)
    result.readyMs = await waitUntilReady(page, timeoutMs)
    result.clickMs = await startCamera(page, 60)
    await page.waitForFunction(() => (window as unknown as { facerBench: { firstNamed: unknown } }).facerBench.firstNamed, undefined, { timeout: timeoutMs, polling: 50 })
    const recording = await readRecording(page)
    result.firstFrameMs = recording.frames[0]?.atMs ?? null
    result.firstNamedMs = recording.firstNamed?.atMs ?? null
    result.name = recording.firstNamed?.name ?? null
    result.backend = recording.backend
    result.modelsLoadedMs = await page.evaluate(() => (window as unknown as { modelsLoadedAt: number | null }).modelsLoadedAt)
    result.transferredKiB = await page.evaluate(() => {
      const entries = performance.getEntriesByType('resource') as PerformanceResourceTiming[]
      const navigation = performance.getEntriesByType('navigation') as PerformanceNavigationTiming[]
      return Math.round([...entries, ...navigation].reduce((sum, entry) => sum + entry.transferSize, 0) / 1024)
    })
  } catch (err) {
    result.error = (err as Error).message.split('\n')[0] ?? String(err)
  } finally {
    await page.close()
  }
  return result
}

const run = recordMachine()
const data = await createTempDataDir()
const scratch = await mkdtemp(path.join(os.tmpdir(), 'facer-bench-first-'))
const server = await startServer({ DATA_DIR: data.path, ...(serverMatching ? { MATCH_ON_SERVER: '1' } : {}) })
try {
  await registerWithFixtures(server.url, videoEnrollment)
  trainInNode(data.path)
  if (serverMatching) await addStrangers(data.path)
  const video = linCameraVideo(scratch)
  const cold: Navigation[] = []
  const warm: Navigation[] = []
  for (let round = 0; round < runs; round++) {
    // A new browser is a new, empty profile: nothing cached, nothing compiled.
    const browser = await launchBrowser({ fakeVideo: video })
    try {
      cold.push(await navigate(browser.context, server.url))
      warm.push(await navigate(browser.context, server.url))
    } finally {
      await browser.close()
    }
    const seconds = (navigation: Navigation) => (navigation.firstNamedMs === null ? navigation.error : `${(navigation.firstNamedMs / 1000).toFixed(2)} s`)
    console.log(`  round ${round + 1}: cold ${seconds(cold.at(-1)!)}, warm ${seconds(warm.at(-1)!)}`)
  }

  const summary = (label: string, navigations: Navigation[], targetMs: number) => {
    const of = (pick: (navigation: Navigation) => number | null) => round(median(navigations.map(pick).filter((value): value is number => value !== null)), 0)
    const firstNamedMs = of((navigation) => navigation.firstNamedMs)
    return {
      label,
      runs: navigations.length,
      named: navigations.filter((navigation) => navigation.firstNamedMs !== null).length,
      modelsLoadedMs: of((navigation) => navigation.modelsLoadedMs),
      readyMs: of((navigation) => navigation.readyMs),
      firstFrameMs: of((navigation) => navigation.firstFrameMs),
      firstNamedMs,
      fromClickMs: of((navigation) => (navigation.firstNamedMs === null || navigation.clickMs === null ? null : navigation.firstNamedMs - navigation.clickMs)),
      transferredKiB: of((navigation) => navigation.transferredKiB),
      targetMs,
      met: firstNamedMs !== null && firstNamedMs <= targetMs,
    }
  }
  const results = [summary('cold (empty cache)', cold, 2500), summary('warm (second navigation)', warm, 1500)]
  const setting = serverMatching ? `, ${(strangers.people * strangers.descriptorsEach).toLocaleString('en')} more descriptors, matched on the server` : ''
  console.log(`\nTime to the first named face after navigating to /recognize${setting}, median of ${runs} (ms from navigation start)`)
  console.table(
    results.map((result) => ({
      '': result.label,
      named: `${result.named}/${result.runs}`,
      'models loaded': result.modelsLoadedMs,
      'warmed up (Start)': result.readyMs,
      'first frame': result.firstFrameMs,
      'first named': result.firstNamedMs,
      '… after Start': result.fromClickMs,
      'KiB fetched': result.transferredKiB,
      target: `≤ ${result.targetMs}`,
      met: result.met ? 'met' : 'NOT met',
    })),
  )
  const machine = run.finish()
  if (!machine.quiet) console.log(`  The machine was busy at the start (${describeMachine(machine)}): rerun when it is quiet.`)
  await writeResults(serverMatching ? 'first-frame-server' : 'first-frame', machine, {
    settings: { runs, cameraVideo: { clipSeconds: linInView, fps: cameraFps }, serverMatching, ...(serverMatching ? { strangers } : {}) },
    results,
    cold,
    warm,
  })
} finally {
  await server.stop()
  await data.remove()
  await rm(scratch, { recursive: true, force: true })
}
