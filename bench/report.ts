// `npm run bench:report`: writes bench/RESULTS.md from the latest bench/results/*.json, with the
// machine each run came from, how busy it was, and every target marked met or not met.
import { readFile, writeFile } from 'node:fs/promises'
import type { Machine } from './lib/machine.js'
import { resultsDir, round } from './lib/results.js'

/* eslint-disable @typescript-eslint/no-explicit-any -- the results files are read as the benchmarks wrote them */
type Results = Record<string, any> & { date: string; machine: Machine }

const benchmarks = ['live', 'first-frame', 'match', 'train', 'model-file', 'upload'] as const
const scripts: Record<(typeof benchmarks)[number], string> = {
  live: 'npm run bench:live',
  'first-frame': 'npm run bench:first-frame',
  match: 'npm run bench:match',
  train: 'npm run bench:train',
  'model-file': 'npm run bench:model-file',
  upload: 'npm run bench:upload',
}

async function load(name: string): Promise<Results | null> {
  try {
    return JSON.parse(await readFile(new URL(`${name}.json`, resultsDir), 'utf8')) as Results
  } catch {
    return null
  }
}

const results = Object.fromEntries(await Promise.all(benchmarks.map(async (name) => [name, await load(name)] as const))) as Record<(typeof benchmarks)[number], Results | null>

function table(rows: Record<string, unknown>[]): string {
  if (!rows.length) return '_No rows._'
  const columns = Object.keys(rows[0]!)
  const cell = (value: unknown) => (value === null || value === undefined ? '—' : String(value).replaceAll('|', '\\|'))
  return [`| ${columns.join(' | ')} |`, `| ${columns.map(() => '---').join(' | ')} |`, ...rows.map((row) => `| ${columns.map((column) => cell(row[column])).join(' | ')} |`)].join('\n')
}

const met = (value: boolean | null | undefined) => (value === null || value === undefined ? 'not measured' : value ? '**met**' : '**not met**')
const notRun = (name: (typeof benchmarks)[number]) => `_Not run yet: \`${scripts[name]}\`._`
const ran = (result: Results) => `Run ${result.date.slice(0, 16).replace('T', ' ')} UTC; load ${result.machine.load.start.join(' / ')} at start${result.machine.quiet ? '' : ' — **not quiet**'}.`

// ---------------------------------------------------------------- targets

const { live, match, train, upload } = results
const firstFrame = results['first-frame']
const modelFile = results['model-file']
const targetRows: Record<string, unknown>[] = []
if (live) {
  const app = live.results[0]
  targetRows.push(
    { benchmark: '1. Live', target: 'app ≥ 25 FPS (2 cores, no GPU)', figure: `${app.fps} FPS (${app.medianMs} ms median)`, result: met(live.targets.appFps.met) },
    ...(live.targets.appP90
      ? [{ benchmark: '1. Live', target: `app ${live.targets.appP90.target}`, figure: `${app.p90Ms} ms`, result: met(live.targets.appP90.met) }]
      : []),
    { benchmark: '1. Live', target: `app ${live.targets.versusBareBest.target}`, figure: `${live.ratioAppToBareBest}x (${live.targets.versusBareBest.best})`, result: met(live.targets.versusBareBest.met) },
    { benchmark: '1. Live', target: 'app never below the bare loop', figure: `${live.ratioAppToBareBest}x`, result: met(live.targets.neverBelowBare.met) },
  )
}
if (firstFrame) {
  for (const row of firstFrame.results) {
    targetRows.push({ benchmark: '2. First named face', target: `${row.label} ≤ ${row.targetMs / 1000} s`, figure: `${round(row.firstNamedMs / 1000, 2)} s`, result: met(row.met) })
  }
}
if (match) {
  for (const [where, target] of Object.entries(match.targets as Record<string, { medianMs: number; met: boolean }>)) {
    targetRows.push({ benchmark: '3. Matching', target: `100,000 descriptors ≤ 5 ms per query (${where})`, figure: `${target.medianMs} ms`, result: met(target.met) })
  }
}
if (train?.targets.retrainOnePhoto) {
  const target = train.targets.retrainOnePhoto
  targetRows.push({
    benchmark: '4. Training',
    target: "re-train after one photo on 1,000: that photo's cost only",
    figure: `+${target.trainPageOverheadMs} ms (Train page), +${target.nodeOverheadMs} ms (Node) over a 10-photo model; one photo ≈ ${target.singlePhotoMs} ms`,
    result: met(target.met),
  })
}
if (upload) {
  for (const run of upload.runs as Results[]) {
    targetRows.push({
      benchmark: `6. Upload (${run.backend})`,
      target: 'every accepted photo stored and valid',
      figure: `${run.accepted} accepted, ${run.stored.acceptedMissing.length} missing, ${run.stored.invalid.length} invalid`,
      result: met(run.verified),
    })
  }
}

// ---------------------------------------------------------------- sections

function liveSection(): string {
  if (!live) return notRun('live')
  const rows = live.results.map((row: any) => ({
    loop: row.name,
    backend: row.backend,
    'ready s': row.readySeconds,
    frames: row.frames,
    FPS: row.fps,
    'median ms': row.medianMs,
    'p90 ms': row.p90Ms,
    'faces/frame': row.facesPerFrame,
    'app ÷ this': round(live.results[0].fps / row.fps, 2),
  }))
  const renderer = live.results.find((row: any) => row.webglRenderer)?.webglRenderer
  return `${ran(live)}

The production server's Recognize page and a bare face-api page (\`bench/bare/live.html\`: face-api's browser
build, \`detectAllFaces → withFaceLandmarks → withFaceDescriptors → FaceMatcher.findBestMatch\` awaited,
then the next animation frame; no drawing) in the same headless Chromium, whose fake camera plays the fixture
clip at ${live.settings.cameraFps} fps. The bare loop runs the tiny detector at 416 on every frame; the app runs it at 320 on its
schedule and tracks in between (score 0.4 in both). Both use the same enrolled descriptors
(${Object.entries(live.enrolled).map(([name, count]) => `${name} ${count}`).join(', ')}, trained with \`npm run train\`) and warm
up on an enrolled photo first. The app's slider is at ${live.settings.desiredFps} FPS. Measured: ${live.settings.measureSeconds} s after
${live.settings.warmUpSeconds} s (by default two passes of the 9.2 s clip, so every loop sees the same mix of no face, one face and a crowd). The app's ms per frame is its own readout
(\`stat-ms\`); FPS is frames in the window divided by its length. WebGL renderer: \`${renderer ?? 'none'}\`.

${table(rows)}
${
  live.appOperations
    ? `
Where the app's time goes, from its own frame log (\`window.facerLiveLog\`) over the same window: ms a frame, median (p90),
on the frames the detector ran on and on the others. \`read\` makes the frame's tensor, \`draw\` puts the frame and its boxes on the canvas, \`total\` is the worker's whole frame.

${table(live.appOperations)}`
    : ''
}${
  live.cameraFramesRead
    ? `

The app reads each camera frame once (it waits for one it has not read), so its FPS is at most the camera's: it read ${live.cameraFramesRead.read} of the
${live.cameraFramesRead.shown} camera frames shown in the window, and missed ${live.cameraFramesRead.missed} in ${live.cameraFramesRead.gaps} gaps, each after a slow frame (median
${live.cameraFramesRead.msBeforeGap.median} ms, p10 ${live.cameraFramesRead.msBeforeGap.p10}).`
    : ''
}`
}

function firstFrameSection(): string {
  if (!firstFrame) return notRun('first-frame')
  const rows = firstFrame.results.map((row: any) => ({
    navigation: row.label,
    named: `${row.named}/${row.runs}`,
    'models loaded ms': row.modelsLoadedMs,
    'warmed up (Start) ms': row.readyMs,
    'first frame ms': row.firstFrameMs,
    'first named ms': row.firstNamedMs,
    '… of which after Start': row.fromClickMs,
    'KiB fetched': row.transferredKiB,
    target: `≤ ${row.targetMs}`,
    result: met(row.met),
  }))
  const clip = firstFrame.settings.cameraVideo
  return `${ran(firstFrame)}

Medians of ${firstFrame.settings.runs} rounds; times from the navigation's start (page time). Each round launches a new
Chromium with an empty profile (cold), then opens /recognize again in the same profile (warm). Start is clicked
as soon as it is enabled (models loaded and warmed up). The fake camera plays seconds ${clip.clipSeconds.start}–${clip.clipSeconds.end} of
the clip, where Lin-Manuel Miranda is in view and named, so the figure is the app's and not the clip's.

${table(rows)}`
}

function matchSection(): string {
  if (!match) return notRun('match')
  const rows = ['node', 'page'].flatMap((where) =>
    (match.results[where] ?? []).map((row: any) => ({
      where: where === 'node' ? 'Node' : 'Chromium',
      descriptors: row.descriptors.toLocaleString('en'),
      'matchDescriptor median (p90) ms': `${row.matchDescriptor.medianMs} (${row.matchDescriptor.p90Ms})`,
      'createGallery ms': round(row.matchDescriptor.buildMs, 0),
      'FaceMatcher median (p90) ms': `${row.faceMatcher.medianMs} (${row.faceMatcher.p90Ms})`,
      'FaceMatcher queries': row.faceMatcher.queries,
      speedup: `${row.speedup}x`,
    })),
  )
  return `${ran(match)}

The same workload (\`bench/match/workload.ts\`: seeded descriptors, 100 per person, queries near stored ones) in
Node and in Chromium (bundled with esbuild, page cross-origin isolated for 5 µs timers: ${match.settings.pageCrossOriginIsolated}). Ours is
\`shared/face/match.ts\` (\`createGallery\` from the stored base64, then \`matchDescriptor\`), timed before face-api is
loaded; face-api's is \`FaceMatcher.findBestMatch\`, which stops after ${match.settings.faceMatcherBudget.milliseconds / 1000} s per size.

${table(rows)}`
}

function trainSection(): string {
  if (!train) return notRun('train')
  const batch = train.batch
  const batchRows = batch
    ? [batch.browserPage, ...batch.browserCode, ...batch.node].map((row: any) => ({
        where: row.where,
        detector: row.detector,
        photos: row.photos,
        's (all)': row.seconds,
        'photos/s (all)': row.photosPerSecond,
        'photos/s (models loaded)': row.steadyPhotosPerSecond ?? row.photosPerSecond,
      }))
    : []
  const retrainRows = train.retrain.map((row: any) => ({
    'model photos': row.modelPhotos,
    'Train page, nothing new ms': row.trainPage.nothingNewMs,
    'Train page, one new photo ms': row.trainPage.onePhotoMs,
    'model writes for it': row.trainPage.onePhotoModelWrites,
    'npm run train s (process)': row.node.seconds,
    'npm run train s (its clock)': row.node.trained?.seconds,
  }))
  return `${ran(train)}

**Batch.** The ${train.settings.fixturePhotos} fixture photos of \`manifest.json\`'s people, uploaded through the API (stored as
320x247 JPEGs). The Train page (production server) always uses SSD: it has no detector option. The bench page runs the
same enrollment code (\`shared/face/enroll.ts\`, TensorFlow.js WASM, decoding included) with both detectors; \`npm run train\`
runs each detector on its own copy of the photos. "All" includes loading the models; "models loaded" counts from the
first photo done (Train page) or uses the script's own clock (Node).

${batch ? table(batchRows) : '_Batch part not run._'}

**Re-training after adding one photo.** ${train.settings.modelPhotos.toLocaleString('en')} distinct stored photos (${train.settings.photosPerPerson} a person; the
normalized fixture photos re-encoded at slightly different brightness) with \`faces.json\` seeded under their hashes,
beside a ${train.settings.baselinePhotos}-photo model. On the Train page a first "Train everyone" loads the models and finds
nothing new; one photo is uploaded, and the second click is timed. Then another photo, and \`npm run train\`.

${train.retrain.length ? table(retrainRows) : '_Re-train part not run._'}`
}

function modelFileSection(): string {
  if (!modelFile) return notRun('model-file')
  const rows = modelFile.results.map((row: any) => ({
    descriptors: row.descriptors.toLocaleString('en'),
    format: row.format,
    MiB: round(row.bytes / 1024 / 1024, 1),
    'bytes/descriptor': row.bytesPerDescriptor,
    'load + parse ms': row.totalMs,
    'read / JSON.parse / schema / decode ms': [row.steps.read, row.steps['JSON.parse'], row.steps.schema ?? '—', row.steps.decode].join(' / '),
  }))
  return `${ran(modelFile)}

In Node, median of ${modelFile.settings.repeat}. The app's \`faces.json\` as training writes it (each descriptor base64 with its photo
name, SHA-256, detector and box); load + parse is what the server and page do together: read, \`JSON.parse\`, the zod
schema, then every descriptor decoded into the matcher's gallery. face-api's form is \`FaceMatcher.toJSON()\` (arrays of
numbers) loaded with \`FaceMatcher.fromJSON\`; the reference app's form (\`{"0": …}\` objects, which the app imports) only
at ${modelFile.settings.referenceSizes.join(', ')} by default.

${table(rows)}`
}

function uploadSection(): string {
  if (!upload) return notRun('upload')
  const rows = upload.runs.map((run: Results) => ({
    backend: run.backend,
    clients: upload.settings.connections,
    seconds: upload.settings.seconds,
    requests: run.requests,
    'req/s': run.requestsPerSecond,
    'p50 ms': run.latencyMs.p50,
    'p99 ms': run.latencyMs.p99,
    'non-2xx': run.non2xx,
    errors: run.errors,
    timeouts: run.timeouts,
    'photos stored': run.stored.photos,
    'valid 320x247 JPEG': run.stored.valid,
    'accepted but missing': run.stored.acceptedMissing.length,
    'stored, answer not awaited': run.stored.storedWithoutAnswer,
    'temp files left': run.stored.leftoverTempFiles.length,
  }))
  const ratio = upload.postgresToFilesThroughput === undefined ? '' : ` PostgreSQL's throughput over the files': **${upload.postgresToFilesThroughput}**.`
  return `${ran(upload)}

The production build under PM2 (\`npm run start:pm2\`, ${upload.settings.workers} workers, its own \`PM2_HOME\`, killed afterwards), on the
files backend and, with \`--postgres\`, on a temporary PostgreSQL server (\`DATABASE_URL\`);
autocannon with ${upload.settings.connections} connections, each cycling through the ${upload.settings.photos} fixture photos (one photo per
multipart request, bodies built beforehand) for ${upload.settings.people} people. Afterwards every photo a 201 named is looked
for where the backend stores it and read with sharp. Photos stored by requests still in flight when autocannon stopped are counted
apart: their answers were not waited for.${ratio}

${table(rows)}`
}

// ---------------------------------------------------------------- what the figures say

/** Readings that follow from the figures (and from the code they measure), each only when its figures exist. */
function readings(): string[] {
  const lines: string[] = []
  if (live) {
    const [app, bareDefault, bareWasm] = live.results
    if (app && bareWasm && bareDefault) {
      const similar = Math.abs(app.medianMs / bareWasm.medianMs - 1) < 0.15
      lines.push(
        `**Live.** The app takes ${app.medianMs} ms a frame (median, p90 ${app.p90Ms}) against ${bareWasm.medianMs} ms for the bare loop on WASM, ` +
          `which runs the detector, the landmarks and the descriptor of every face on every frame` +
          (similar ? `: about the same, so the loop is bound by face-api's networks, not by what is around them. ` : `. `) +
          `The app detects, then tracks (\`shared/face/live.ts\`): the tiny detector runs every 8 frames or 200 ms, and after a cut or a lost face; ` +
          `in between each face costs one landmark fit, and a descriptor only every 500 ms (200 ms while unknown), the faces due one taking turns, one a frame. The detector reads the frame at ` +
          `its own shape (\`shared/face/tiny-detector.ts\`), where face-api pads it to a square first; the table of operations below says which of them set the p90. 25 FPS means at most 40 ms a frame on average; the networks run in a worker, which keeps the page free but adds no core. ` +
          `What the app also gains over a face-api page left at its default is the backend: face-api's default here is ${bareDefault.backend} ` +
          `(software), ${round(app.fps / bareDefault.fps, 0)}x slower than the app's automatic WASM.`,
      )
    }
  }
  if (firstFrame) {
    const [cold, warm] = firstFrame.results
    if (cold && warm) {
      lines.push(
        `**First named face.** Almost all of it comes before the camera starts: the networks are loaded at ${cold.modelsLoadedMs ?? '—'} ms cold and ` +
          `${warm.modelsLoadedMs ?? '—'} ms warm, Start is enabled after the warm-up at ${cold.readyMs} and ${warm.readyMs} ms, and the first named frame follows ` +
          `${cold.fromClickMs} and ${warm.fromClickMs} ms after the click. A warm navigation fetches ${warm.transferredKiB} KiB instead of ${cold.transferredKiB} ` +
          `(models and WASM are cached for a year), so what remains is work in the page: compiling the WASM, creating the networks' weights, and the ` +
          `warm-up run on a blank frame. The live worker starts as the page mounts and loads the three networks live video uses (the expression network waits for its toggle); the page's own networks wait for the first photo.`,
      )
    }
  }
  if (match) {
    const node = match.results.node?.find((row: any) => row.descriptors === 100_000)
    const page = match.results.page?.find((row: any) => row.descriptors === 100_000)
    if (node) {
      lines.push(
        `**Matching.** The app's matcher is ${node.speedup}x faster than FaceMatcher at 100,000 in Node${page ? ` (${page.speedup}x in Chromium)` : ''}, ` +
          `but takes ${node.matchDescriptor.medianMs} ms${page ? ` (${page.matchDescriptor.medianMs} ms in Chromium)` : ''}, over the 5 ms target: each query reads ` +
          `and compares all 100,000 rows of 128 float32 (51 MB, 12.8 million multiply-adds) on one core. Under 5 ms would need less of it per ` +
          `query (float16 or int8 rows, or a per-person summary that rules most rows out) or more than one core.` +
          (page ? ` Building the gallery from base64 takes ${round(page.matchDescriptor.buildMs, 0)} ms in the page and ${round(node.matchDescriptor.buildMs, 0)} ms in Node.` : ''),
      )
    }
  }
  if (train) {
    const large = train.retrain.find((row: any) => row.modelPhotos === train.settings.modelPhotos)
    if (large) {
      lines.push(
        `**Re-training.** Only the new photo is processed (${large.trainPage.onePhotoLabel}), as planned by hash, and the Train page writes the ` +
          `model ${large.trainPage.onePhotoModelWrites === 1 ? 'once' : `${large.trainPage.onePhotoModelWrites} times`} for one photo on the ` +
          `${train.settings.modelPhotos.toLocaleString('en')}-photo model: only the people whose entry changed are saved, each save a locked, ` +
          `fsynced rewrite of the whole faces.json and its backup. What the large model still adds is reading, parsing and rewriting that file.`,
      )
    }
    if (train.batch) {
      lines.push(
        `**Detectors.** Rejections are kept whatever the detector: on a model trained with SSD, \`npm run train -- --detector tiny\` re-processes ` +
          `the accepted photos but not the rejected ones (\`planTraining\` filters descriptors by detector, not rejections), so the bench trains each ` +
          `detector on its own copy.`,
      )
    }
  }
  if (modelFile) {
    const app = modelFile.results.find((row: any) => row.descriptors === 100_000 && row.format.startsWith('app'))
    const faceApi = modelFile.results.find((row: any) => row.descriptors === 100_000 && row.format.startsWith('face-api'))
    if (app && faceApi) {
      lines.push(
        `**Model file.** At 100,000 descriptors the app's file is ${round(app.bytes / 1024 / 1024, 0)} MiB against ${round(faceApi.bytes / 1024 / 1024, 0)} MiB for ` +
          `face-api's JSON (${app.bytesPerDescriptor} bytes a descriptor: 684 characters of base64 for the descriptor, the rest for its photo, hash and box), and loads in ` +
          `${app.totalMs} ms against ${faceApi.totalMs}. Of the app's time, JSON.parse takes ${app.steps['JSON.parse']} ms, the zod schema ${app.steps.schema} ms and ` +
          `decoding the base64 ${app.steps.decode} ms: a third file size does not make it a third of the time.`,
      )
    }
  }
  for (const run of (upload?.runs ?? []) as Results[]) {
    lines.push(
      `**Upload (${run.backend}).** ${run.requestsPerSecond} photos a second with ${upload!.settings.workers} workers on ${upload!.machine.cores} cores (each upload is decoded, ` +
        `resized and re-encoded by sharp), median ${run.latencyMs.p50} ms, p99 ${run.latencyMs.p99} ms for ${upload!.settings.connections} clients; ` +
        `${run.non2xx} non-2xx, ${run.errors} errors. Every accepted photo was stored as a valid 320x247 JPEG: ${run.verified ? 'yes' : 'no'}.`,
    )
  }
  if (upload?.postgresToFilesThroughput !== undefined) lines.push(`**Upload, PostgreSQL against files.** ${upload.postgresToFilesThroughput} times the files backend's throughput.`)
  return lines
}

// ---------------------------------------------------------------- the page

const runs = benchmarks.flatMap((name) => (results[name] ? [{ name, result: results[name]! }] : []))
const machine = runs[0]?.result.machine
const machineRows = runs.map(({ name, result }) => ({
  benchmark: scripts[name],
  date: result.date.slice(0, 16).replace('T', ' '),
  'load at start (1/5/15 min)': result.machine.load.start.join(' / '),
  'load at end': result.machine.load.end?.join(' / '),
  quiet: result.machine.quiet ? 'yes' : '**no**',
}))
const busy = runs.filter(({ result }) => !result.machine.quiet).length

const page = `# Benchmark results

Generated by \`npm run bench:report\` from the latest \`bench/results/*.json\`; rerun a benchmark with its script, then
the report. Nothing here is asserted by a test: these are measurements. Method details are in each script's header.

## Machine

${machine ? `- ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, no GPU; ${machine.platform}.
- Node ${machine.node}; ${machine.chromium ?? 'no Chromium'}, headless (WebGL is software: SwiftShader).` : '_No results yet._'}

${busy ? `**${busy} of ${runs.length} runs were not quiet**: the machine is shared, and other work was running (a 1-minute load
average above a quarter of the cores at the start). Their timings are slower and noisier than this machine can do;
rerun them on a quiet machine before reading much into them.` : 'Every run started on a quiet machine.'} Run one after another (\`npm run bench:all\`),
each benchmark's load at start includes the benchmark before it, not only other work.

${table(machineRows)}

## Targets

${table(targetRows)}

## What the figures say

${readings().map((line) => `- ${line}`).join('\n') || '_No results yet._'}

## 1. Live recognition: app vs bare face-api (\`npm run bench:live\`)

${liveSection()}

## 2. Time to the first named face (\`npm run bench:first-frame\`)

${firstFrameSection()}

## 3. Matching (\`npm run bench:match\`)

${matchSection()}

## 4. Training (\`npm run bench:train\`)

${trainSection()}

## 5. Model file (\`npm run bench:model-file\`)

${modelFileSection()}

## 6. Upload under load (\`npm run bench:upload\`)

${uploadSection()}
`

const file = new URL('./RESULTS.md', import.meta.url)
await writeFile(file, page)
console.log(`Written to ${file.pathname}`)
