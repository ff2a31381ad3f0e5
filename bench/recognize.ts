// `npm run bench:recognize`: how fast live recognition runs, in two parts.
// 1. The Recognize page of the production build in headless Chromium, the fixture video as the fake
//    camera, once per TensorFlow.js backend (wasm, webgl, cpu) and per place the networks run (the
//    worker, and the page itself as in a browser that cannot hand a canvas to a worker): time to the
//    first named face, ms per frame, FPS, the backend really in use, the tensor count, and how free
//    the page's own thread stays (gaps between its animation frames, long tasks per second).
// 2. In Node on WASM, the fixture video's frames through each detector setting: faces found, ms per
//    frame for detection + landmarks + descriptor, and who the app's matcher names at 0.50 and 0.60.
// Prints tables and writes every figure to bench/results/recognize.json. Needs the production build,
// Chromium and ffmpeg. No figure here is asserted: this measures, it does not test.
import { execFileSync } from 'node:child_process'
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type { Page } from 'playwright-core'
import { decodePhoto, nodeFaceRuntime } from '../api/faces/node-runtime.js'
import { assignFaces } from '../shared/face/assign.js'
import { createGallery, matchDescriptor, type Gallery } from '../shared/face/match.js'
import { parseAnyModel } from '../shared/face/model.js'
import { collectPageErrors, findChromium, launchBrowser } from '../tests/support/browser.js'
import { addFixturePhotos, createTempDataDir, facesDir, repoRoot } from '../tests/support/data.js'
import { startServer } from '../tests/support/server.js'
import { fakeCameraVideo } from '../tests/support/video.js'
import { quantile, round } from '../shared/stats.js'
import { readMainThread, readRecording, recordFrames, stopCamera, watchMainThread, type AppFrame, type AppRecording, type MainThreadFigures } from './lib/recognize-page.js'

const people = {
  lin_manuel_miranda: ['people/lin_manuel_miranda/lin-manuel-miranda.png'],
  barack_obama: ['people/barack_obama/obama.jpg', 'people/barack_obama/obama1.jpg', 'people/barack_obama/obama2.jpg', 'people/barack_obama/obama_small.jpg'],
}
const names = Object.keys(people)

const backends = ['wasm', 'webgl', 'cpu'] as const
/** Where the networks run: the page falls back to its own thread where it cannot transfer a canvas. */
const engines = ['worker', 'page'] as const
/** Per backend: frames to watch once a face was named, and bounds that keep the whole run to minutes. */
const live = { frames: 60, desiredFps: 60, loadTimeoutMs: 120_000, runBudgetMs: 30_000, pollMs: 250 }

const videoFile = path.join(facesDir, 'video/short_hamilton_clip.mp4')
const extractFps = 4
const thresholds = [0.5, 0.6]
const detectorSettings = [
  { label: 'tiny 320', detector: 'tiny_face_detector', inputSize: 320, minScore: 0.4 },
  { label: 'tiny 416 (live)', detector: 'tiny_face_detector', inputSize: 416, minScore: 0.4 },
  { label: 'tiny 512', detector: 'tiny_face_detector', inputSize: 512, minScore: 0.4 },
  { label: 'tiny 608', detector: 'tiny_face_detector', inputSize: 608, minScore: 0.4 },
  { label: 'ssd 0.4 (photos)', detector: 'ssd_mobilenetv1', inputSize: null, minScore: 0.4 },
  { label: 'ssd 0.5', detector: 'ssd_mobilenetv1', inputSize: null, minScore: 0.5 },
] as const

const resultsFile = new URL('./results/recognize.json', import.meta.url)

// ---------------------------------------------------------------- part 1: the page per backend

interface LiveResult {
  choice: string
  backend: string | null
  /** Where the networks were asked to run, and where they ran. */
  engineAsked: (typeof engines)[number]
  engine: string | null
  mainThread: MainThreadFigures | null
  fellBack: boolean
  webglRenderer: string | null
  desiredFps: number
  readyMs: number | null
  cameraStartedMs: number | null
  firstFrameMs: number | null
  firstFrameProcessMs: number | null
  firstRecognizedMs: number | null
  firstRecognizedFrame: number | null
  firstRecognizedName: string | null
  frames: number
  medianMs: number | null
  p90Ms: number | null
  medianFps: number | null
  framesPerSecondOverRun: number | null
  tensorsFirst: number | null
  tensorsLast: number | null
  namesSeen: string[]
  error: string | null
  pageErrors: string[]
  samples: AppFrame[]
}

async function runBackend(page: Page, url: string, choice: string, engine: (typeof engines)[number]): Promise<LiveResult> {
  const pageErrors = collectPageErrors(page)
  const result: LiveResult = {
    choice,
    backend: null,
    engineAsked: engine,
    engine: null,
    mainThread: null,
    fellBack: false,
    webglRenderer: null,
    desiredFps: live.desiredFps,
    readyMs: null,
    cameraStartedMs: null,
    firstFrameMs: null,
    firstFrameProcessMs: null,
    firstRecognizedMs: null,
    firstRecognizedFrame: null,
    firstRecognizedName: null,
    frames: 0,
    medianMs: null,
    p90Ms: null,
    medianFps: null,
    framesPerSecondOverRun: null,
    tensorsFirst: null,
    tensorsLast: null,
    namesSeen: [],
    error: null,
    pageErrors,
    samples: [],
  }
  try {
    // localStorage belongs to the origin: set it on a cheap same-origin page, then load /recognize.
    await page.goto(`${url}/api/faces`)
    await page.evaluate((value) => localStorage.setItem('facer.backend', value), choice)
    if (engine === 'page') {
      await page.addInitScript(() => delete (HTMLCanvasElement.prototype as Partial<HTMLCanvasElement>).transferControlToOffscreen)
    }
    await page.goto(`${url}/recognize`)
    await page.waitForFunction(
      () => {
        const button = document.querySelector('[data-testid="live-start"]')
        return button instanceof HTMLButtonElement && !button.disabled
      },
      undefined,
      { timeout: live.loadTimeoutMs, polling: 50 },
    )
    result.readyMs = await page.evaluate(() => performance.now())
    result.webglRenderer = await page.evaluate(() => {
      const gl = document.createElement('canvas').getContext('webgl2') ?? document.createElement('canvas').getContext('webgl')
      if (!gl) return null
      const info = gl.getExtension('WEBGL_debug_renderer_info')
      return String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER))
    })
    await recordFrames(page, live.loadTimeoutMs)
    await page.evaluate((fps) => {
      const slider = document.querySelector<HTMLInputElement>('#desired-fps')!
      slider.value = String(fps)
      slider.dispatchEvent(new Event('input', { bubbles: true }))
    }, live.desiredFps)
    result.desiredFps = Number(await page.evaluate(() => document.querySelector<HTMLInputElement>('#desired-fps')!.value))

    await watchMainThread(page)
    result.cameraStartedMs = await page.evaluate(() => performance.now())
    await page.getByTestId('live-start').click()
    const deadline = Date.now() + live.runBudgetMs
    let recording: AppRecording = { backend: null, engine: null, frames: [], firstNamed: null }
    while (Date.now() < deadline) {
      recording = await readRecording(page)
      if (recording.firstNamed && recording.frames.filter((frame) => frame.frame > recording.firstNamed!.frame).length >= live.frames) break
      await page.waitForTimeout(live.pollMs)
    }
    // Read in the page as each frame lands: on the cpu backend a frame blocks the page for seconds.
    result.backend = recording.backend
    result.engine = recording.engine
    result.fellBack = result.backend !== null && result.backend !== choice
    // From the second frame, as ms per frame below: the first pays for shapes the warm-up had not seen.
    if (recording.frames.length > 2) result.mainThread = await readMainThread(page, recording.frames[1]!.atMs, recording.frames.at(-1)!.atMs)
    await stopCamera(page)

    const samples = recording.frames
    result.samples = samples
    result.frames = samples.length
    result.firstFrameMs = samples[0]?.atMs ?? null
    result.firstFrameProcessMs = samples[0]?.ms ?? null
    result.firstRecognizedMs = recording.firstNamed?.atMs ?? null
    result.firstRecognizedFrame = recording.firstNamed?.frame ?? null
    result.firstRecognizedName = recording.firstNamed?.name ?? null
    // The first frame pays for shapes the blank warm-up image did not have: it is reported on its own.
    const steady = samples.slice(1)
    result.medianMs = quantile(steady.map((sample) => sample.ms), 0.5)
    result.p90Ms = quantile(steady.map((sample) => sample.ms), 0.9)
    // The page's FPS counts the frames of the last second: only meaningful once a second has passed.
    const firstAt = samples[0]?.atMs ?? 0
    result.medianFps = quantile(
      samples.filter((sample) => sample.atMs - firstAt >= 1000).map((sample) => sample.fps),
      0.5,
    )
    if (steady.length) result.framesPerSecondOverRun = round((steady.length / (steady.at(-1)!.atMs - firstAt)) * 1000, 2)
    result.tensorsFirst = samples[0]?.tensors ?? null
    result.tensorsLast = samples.at(-1)?.tensors ?? null
    result.namesSeen = [...new Set(samples.flatMap((sample) => sample.names))].sort()
  } catch (err) {
    result.error = (err as Error).message.split('\n')[0] ?? String(err)
  }
  return result
}

// ---------------------------------------------------------------- part 2: detectors on the frames

interface FaceFound {
  score: number
  box: { x: number; y: number; width: number; height: number }
  /** Distance to each enrolled person's nearest descriptor. */
  distances: Record<string, number>
}

interface FrameResult {
  file: string
  seconds: number
  ms: number
  faces: FaceFound[]
  named: Record<string, string[]>
}

async function extractFrames(dir: string): Promise<string[]> {
  // The video stream starts 0.85 s into the file: from its own start, or the first frame repeats.
  execFileSync('ffmpeg', ['-loglevel', 'error', '-y', '-i', videoFile, '-an', '-vf', `setpts=PTS-STARTPTS,fps=${extractFps}`, path.join(dir, 'frame-%03d.png')])
  return (await readdir(dir)).filter((file) => file.endsWith('.png')).sort().map((file) => path.join(dir, file))
}

async function runDetector(setting: (typeof detectorSettings)[number], frames: string[], gallery: Gallery): Promise<FrameResult[]> {
  const runtime = await nodeFaceRuntime()
  const { faceapi } = runtime
  const options =
    setting.detector === 'tiny_face_detector'
      ? new faceapi.TinyFaceDetectorOptions({ inputSize: setting.inputSize!, scoreThreshold: setting.minScore })
      : new faceapi.SsdMobilenetv1Options({ minConfidence: setting.minScore, maxResults: 50 })
  const detect = async (file: string) => {
    const image = await decodePhoto(file)
    try {
      const started = performance.now()
      const faces = await faceapi
        .detectAllFaces(image as unknown as Parameters<typeof faceapi.detectAllFaces>[0], options)
        .withFaceLandmarks()
        .withFaceDescriptors()
      return { faces, ms: performance.now() - started }
    } finally {
      image.dispose()
    }
  }
  // The first run at a new input size allocates for it: not counted.
  await detect(frames[0]!)
  const results: FrameResult[] = []
  for (const [index, file] of frames.entries()) {
    const { faces, ms } = await detect(file)
    const ranked = faces.map((face) => matchDescriptor(gallery, face.descriptor))
    const named: Record<string, string[]> = {}
    for (const threshold of thresholds) {
      named[threshold.toFixed(2)] = assignFaces(ranked, { threshold, margin: 0, agreement: 0 }).flatMap((decision) => (decision.name ? [decision.name] : []))
    }
    results.push({
      file: path.basename(file),
      // ffmpeg's fps filter takes the frame nearest each 1/fps step of the video, from 0.
      seconds: index / extractFps,
      ms,
      faces: faces.map((face, faceIndex) => ({
        score: round(face.detection.score, 3),
        box: {
          x: Math.round(face.detection.box.x),
          y: Math.round(face.detection.box.y),
          width: Math.round(face.detection.box.width),
          height: Math.round(face.detection.box.height),
        },
        distances: Object.fromEntries(ranked[faceIndex]!.map(({ name, distance }) => [name, round(distance, 3)])),
      })),
      named,
    })
  }
  return results
}

function summarizeDetector(label: string, frames: FrameResult[]) {
  const nearest = (name: string) => frames.map((frame) => Math.min(...frame.faces.map((face) => face.distances[name] ?? Infinity)))
  const obama = nearest('barack_obama')
  const lin = nearest('lin_manuel_miranda')
  const best = (name: string, distances: number[]) => {
    const value = Math.min(...distances)
    if (!Number.isFinite(value)) return null
    const frame = frames[distances.indexOf(value)]!
    return { distance: value, seconds: frame.seconds, box: frame.faces.find((face) => face.distances[name] === value)?.box ?? null }
  }
  const framesNaming = Object.fromEntries(
    thresholds.map((threshold) => {
      const key = threshold.toFixed(2)
      return [key, Object.fromEntries(names.map((name) => [name, frames.filter((frame) => frame.named[key]!.includes(name)).length]))]
    }),
  )
  const times = frames.map((frame) => frame.ms)
  return {
    label,
    frames: frames.length,
    facesTotal: frames.reduce((sum, frame) => sum + frame.faces.length, 0),
    framesWithFace: frames.filter((frame) => frame.faces.length).length,
    medianMs: round(quantile(times, 0.5)!),
    p90Ms: round(quantile(times, 0.9)!),
    framesNaming,
    nearestLin: best('lin_manuel_miranda', lin),
    nearestObama: best('barack_obama', obama),
    /** Per frame: the smallest distance from any face to Barack Obama (null: no face). */
    obamaByFrame: frames.map((frame, index) => ({ seconds: frame.seconds, distance: Number.isFinite(obama[index]) ? obama[index]! : null })),
  }
}

// ---------------------------------------------------------------- the run

const scratch = await mkdtemp(path.join(os.tmpdir(), 'facer-bench-'))
const data = await createTempDataDir()
try {
  for (const [person, photos] of Object.entries(people)) await addFixturePhotos(data.path, person, photos)
  const trainStarted = performance.now()
  const trainOutput = execFileSync(process.execPath, [path.join(repoRoot, 'dist/scripts/train.js')], {
    env: { ...process.env, DATA_DIR: data.path },
    encoding: 'utf8',
  })
  const trainSeconds = (performance.now() - trainStarted) / 1000
  const parsedModel = parseAnyModel(JSON.parse(await readFile(path.join(data.path, 'faces.json'), 'utf8')))
  if (!parsedModel.success) throw new Error(`The trained faces.json does not parse: ${parsedModel.error.message}`)
  const model = parsedModel.data
  const gallery = createGallery(model)
  const enrolled = Object.fromEntries(model.people.map((person) => [person.name, { usable: person.descriptors.length, rejected: person.rejected.map((entry) => entry.detail) }]))
  console.log(`Trained in ${trainSeconds.toFixed(1)} s: ${JSON.stringify(enrolled)}`)

  // Part 1
  const server = await startServer({ DATA_DIR: data.path })
  const browser = await launchBrowser({ fakeVideo: fakeCameraVideo(scratch) })
  const chromiumVersion = browser.context.browser()?.version() ?? null
  const liveResults: LiveResult[] = []
  try {
    for (const choice of backends) {
      for (const engine of engines) {
        const started = performance.now()
        const page = await browser.context.newPage()
        const result = await runBackend(page, server.url, choice, engine)
        await page.close()
        liveResults.push(result)
        const problem = result.error ? ` — ${result.error}` : ''
        console.log(`  ${choice} in the ${engine}: ${result.frames} frames in ${((performance.now() - started) / 1000).toFixed(0)} s${problem}`)
      }
    }
  } finally {
    await browser.close()
    await server.stop()
  }
  const seconds = (ms: number | null) => (ms === null ? '—' : (ms / 1000).toFixed(1))
  console.log(`\nLive page, fixture video as the camera, desired FPS ${live.desiredFps} (Chromium ${chromiumVersion})`)
  console.table(
    liveResults.map((result) => ({
      asked: result.choice,
      'in use': result.backend ?? '—',
      'runs in': result.engine ?? '—',
      'models ready s': seconds(result.readyMs),
      'first frame s': seconds(result.firstFrameMs),
      'first frame ms': result.firstFrameProcessMs ?? '—',
      'first recognized s': seconds(result.firstRecognizedMs),
      '… after camera start s': result.firstRecognizedMs === null ? '—' : seconds(result.firstRecognizedMs - result.cameraStartedMs!),
      frames: result.frames,
      'median ms': result.medianMs ?? '—',
      'p90 ms': result.p90Ms ?? '—',
      'median FPS': result.medianFps ?? '—',
      'frames/s over run': result.framesPerSecondOverRun ?? '—',
      tensors: result.tensorsFirst === null ? '—' : `${result.tensorsFirst} → ${result.tensorsLast}`,
      'paint gap median / p90 ms': result.mainThread ? `${result.mainThread.paintGapMedianMs} / ${result.mainThread.paintGapP90Ms}` : '—',
      'long tasks ms/s': result.mainThread?.longTaskMsPerSecond ?? '—',
      names: result.namesSeen.join(', '),
    })),
  )
  for (const result of liveResults) {
    if (result.fellBack) console.log(`  ${result.choice} was asked for, ${result.backend} ran`)
    if (result.engine !== null && result.engine !== result.engineAsked) console.log(`  ${result.choice}: asked to run in the ${result.engineAsked}, ran in the ${result.engine}`)
    if (result.pageErrors.length) console.log(`  ${result.choice}: page errors: ${result.pageErrors.slice(0, 3).join(' | ')}`)
  }
  console.log(`  WebGL renderer: ${liveResults.find((result) => result.webglRenderer)?.webglRenderer ?? 'none'}`)

  // Part 2
  const frameDir = path.join(scratch, 'frames')
  await mkdir(frameDir)
  const frames = await extractFrames(frameDir)
  const runtime = await nodeFaceRuntime()
  const wasmFlags = {
    simd: await runtime.tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'),
    threads: await runtime.tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT'),
  }
  const detectorResults = []
  for (const setting of detectorSettings) {
    const perFrame = await runDetector(setting, frames, gallery)
    detectorResults.push({ setting, summary: summarizeDetector(setting.label, perFrame), perFrame })
    console.log(`  ${setting.label}: done`)
  }
  console.log(`\nDetectors on ${frames.length} frames (${extractFps} fps) of the fixture video, Node ${process.version}, tfjs ${runtime.tf.getBackend()} (SIMD ${wasmFlags.simd}, threads ${wasmFlags.threads})`)
  const distance = (best: { distance: number; seconds: number; box: { width: number } | null } | null) => (best ? `${best.distance.toFixed(3)} @ ${best.seconds.toFixed(2)} s, ${best.box?.width ?? "?"} px wide` : '—')
  console.table(
    detectorResults.map(({ summary }) => ({
      detector: summary.label,
      faces: summary.facesTotal,
      'frames with face': summary.framesWithFace,
      'median ms': summary.medianMs,
      'p90 ms': summary.p90Ms,
      ...Object.fromEntries(
        thresholds.flatMap((threshold) => {
          const key = threshold.toFixed(2)
          return [
            [`Lin @${key}`, summary.framesNaming[key]!.lin_manuel_miranda],
            [`Obama @${key}`, summary.framesNaming[key]!.barack_obama],
          ]
        }),
      ),
      'nearest Lin': distance(summary.nearestLin),
      'nearest Obama': distance(summary.nearestObama),
    })),
  )

  await mkdir(new URL('.', resultsFile), { recursive: true })
  await writeFile(
    resultsFile,
    `${JSON.stringify(
      {
        date: new Date().toISOString(),
        machine: { cpu: os.cpus()[0]?.model ?? null, cpus: os.cpus().length, node: process.version, chromium: chromiumVersion, chromiumPath: findChromium() },
        enrolled,
        trainSeconds: round(trainSeconds),
        trainOutput,
        live: { settings: live, results: liveResults },
        detectors: { video: path.relative(repoRoot, videoFile), extractFps, frames: frames.length, thresholds, wasm: wasmFlags, results: detectorResults },
      },
      null,
      2,
    )}\n`,
  )
  console.log(`Written to ${resultsFile.pathname}`)
} finally {
  await data.remove()
  await rm(scratch, { recursive: true, force: true })
}
