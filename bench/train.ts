// `npm run bench:train`: training speed, in two parts.
// 1. Batch: the fixture photos (uploaded through the API, so stored as the app stores them) trained
//    by the Train page (production server, Chromium; SSD, the page's only detector), by
//    `npm run train` in Node with --detector ssd and tiny, and by the same enrollment code in a bench
//    page with both detectors (bench/train/page.ts). Photos per second for each.
// 2. Re-training after one photo is added to a model of 1,000 photos (distinct JPEGs, faces.json
//    seeded with their hashes), on the Train page and in Node, beside the same on a model of 10:
//    training plans by photo hash, so only the new photo should cost anything.
// `-- --part batch` or `--part retrain` runs one part. Prints tables, writes bench/results/train.json.
import { createHash } from 'node:crypto'
import { cp, mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { parseArgs } from 'node:util'
import type { BrowserContext, Page, Request } from 'playwright-core'
import sharp from 'sharp'
import { normalizePhoto } from '../api/photos/image.js'
import { currentModelVersion, type FaceModel } from '../shared/face/model.js'
import { collectPageErrors, launchBrowser } from '../tests/support/browser.js'
import { createTempDataDir, facesDir, type TempDataDir } from '../tests/support/data.js'
import { descriptorEntry } from '../tests/support/faces.js'
import { startServer } from '../tests/support/server.js'
import { registerWithFixtures, trainInNode, uploadPhotos, type Enrollment } from './lib/enroll.js'
import { describeMachine, recordMachine } from './lib/machine.js'
import { bundleForPage, faceApiRoutes, serveBenchPages } from './lib/pages.js'
import { median, round, writeResults } from './lib/results.js'
import type { EnrollTiming } from './train/page.js'

const { values: args } = parseArgs({
  options: {
    part: { type: 'string', default: 'all' },
    'model-photos': { type: 'string', default: '1000' },
    'baseline-photos': { type: 'string', default: '10' },
  },
})
const parts = { batch: args.part === 'all' || args.part === 'batch', retrain: args.part === 'all' || args.part === 'retrain' }
const modelPhotos = Number(args['model-photos'])
const baselinePhotos = Number(args['baseline-photos'])
const photosPerPerson = 10
const timeoutMs = 180_000

const manifest = JSON.parse(await readFile(path.join(facesDir, 'manifest.json'), 'utf8')) as { people: Enrollment }
const fixturePhotos = Object.values(manifest.people).flat()
/** The photos added before re-training, on the Train page and then in Node: one clear face each. */
const addedPhotos = ['people/joe_biden/biden.jpg', 'people/kit_harington/john1.jpeg']

// ---------------------------------------------------------------- the Train page

interface TrainPageRun {
  /** Page time from the click on "Train everyone" to the progress saying done, in ms. */
  ms: number
  /** Page time at which each photo was counted done, from the click. */
  photoDoneMs: number[]
  label: string
  status: string
  /** Requests that wrote the face model (PUT/PATCH/DELETE /api/faces…) during the run. */
  modelWrites: number
}

/** One click on "Train everyone" on an open Train page, timed until it reports done. */
async function clickTrainAll(page: Page): Promise<TrainPageRun> {
  await page.evaluate(() => {
    const record = { photoDoneAt: [] as number[], lastDone: 0 }
    ;(window as unknown as { trainBench: typeof record }).trainBench = record
    // Each photo's progress is rendered as it is counted: a DOM change, seen here at once.
    new MutationObserver(() => {
      const progress = document.querySelector<HTMLProgressElement>('[data-testid="training-progress"] progress')
      const done = progress?.value ?? 0
      if (done > record.lastDone) {
        for (let photo = record.lastDone; photo < done; photo++) record.photoDoneAt.push(performance.now())
        record.lastDone = done
      }
    }).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true })
  })
  let modelWrites = 0
  const countWrites = (request: Request) => {
    if (request.method() !== 'GET' && new URL(request.url()).pathname.startsWith('/api/faces')) modelWrites++
  }
  page.on('request', countWrites)
  const clickedAt = await page.evaluate(() => performance.now())
  await page.getByTestId('train-all').click()
  await page.waitForFunction(
    () => ['done', 'error', 'canceled'].includes(document.querySelector('[data-testid="training-progress"]')?.getAttribute('data-status') ?? ''),
    undefined,
    { timeout: timeoutMs, polling: 10 },
  )
  const finishedAt = await page.evaluate(() => performance.now())
  page.off('request', countWrites)
  const record = await page.evaluate(() => (window as unknown as { trainBench: { photoDoneAt: number[] } }).trainBench)
  const progress = page.getByTestId('training-progress')
  return {
    ms: finishedAt - clickedAt,
    photoDoneMs: record.photoDoneAt.map((at) => at - clickedAt),
    label: (await progress.getByRole('status').textContent())?.trim() ?? '',
    status: (await progress.getAttribute('data-status')) ?? '',
    modelWrites,
  }
}

async function openTrainPage(context: BrowserContext, url: string) {
  const page = await context.newPage()
  const pageErrors = collectPageErrors(page)
  await page.goto(`${url}/train`)
  await page.getByTestId('train-all').waitFor({ timeout: timeoutMs })
  return { page, pageErrors }
}

// ---------------------------------------------------------------- part 1: batch

const parseTrained = (output: string) => {
  const match = /Trained (\d+) photos in ([\d.]+) s/.exec(output)
  return match ? { photos: Number(match[1]), seconds: Number(match[2]) } : null
}

async function batch(context: BrowserContext) {
  const data = await createTempDataDir()
  const server = await startServer({ DATA_DIR: data.path })
  try {
    await registerWithFixtures(server.url, manifest.people)

    // The Train page, as shipped: SSD. The first click also loads the models.
    const { page, pageErrors } = await openTrainPage(context, server.url)
    const trainPage = await clickTrainAll(page)
    await page.close()
    const photos = trainPage.photoDoneMs.length
    const steady = photos > 1 ? ((photos - 1) / (trainPage.photoDoneMs.at(-1)! - trainPage.photoDoneMs[0]!)) * 1000 : null
    const browserPage = {
      where: 'Train page (Chromium, SSD)',
      detector: 'ssd_mobilenetv1',
      photos,
      seconds: round(trainPage.ms / 1000, 2),
      photosPerSecond: round((photos / trainPage.ms) * 1000, 2),
      /** From the first photo done to the last: without loading the models. */
      steadyPhotosPerSecond: round(steady, 2),
      label: trainPage.label,
      pageErrors,
    }

    // The same enrollment code in a bench page, with both detectors.
    const storedPhotos = await listStoredPhotos(data.path)
    const pages = await serveBenchPages({
      '/': { text: '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>enroll</title><script src="/enroll.js"></script></head><body></body></html>', type: 'text/html; charset=utf-8' },
      '/enroll.js': { text: await bundleForPage(new URL('./train/page.ts', import.meta.url).pathname), type: 'text/javascript; charset=utf-8' },
      ...faceApiRoutes(),
      ...Object.fromEntries(storedPhotos.map((file, index) => [`/photos/${index}.jpg`, { file }])),
    })
    let benchPage: EnrollTiming[]
    try {
      const enrollPage = await context.newPage()
      await enrollPage.goto(pages.url)
      benchPage = await enrollPage.evaluate(
        (urls) => (window as unknown as { runEnrollBench(urls: string[], detectors: string[]): Promise<EnrollTiming[]> }).runEnrollBench(urls, ['ssd_mobilenetv1', 'tiny_face_detector']),
        storedPhotos.map((_, index) => `/photos/${index}.jpg`),
      )
      await enrollPage.close()
    } finally {
      await pages.close()
    }
    const browserCode = benchPage.map((timing) => {
      const ms = timing.photos.map((photo) => photo.ms)
      return {
        where: `bench page, same code (Chromium, ${timing.backend})`,
        detector: timing.detector,
        photos: ms.length,
        usable: timing.photos.filter((photo) => photo.ok).length,
        seconds: round(ms.reduce((sum, value) => sum + value, 0) / 1000, 2),
        photosPerSecond: round((ms.length / ms.reduce((sum, value) => sum + value, 0)) * 1000, 2),
        medianMs: round(median(ms), 0),
      }
    })

    // `npm run train` in Node, per detector on its own copy of the stored photos without a model: on
    // one copy, the photos SSD rejected would stay rejected for the tiny detector (rejections are
    // kept whatever the detector).
    const node = []
    for (const detector of ['ssd', 'tiny']) {
      const copy = await createTempDataDir()
      try {
        await cp(path.join(data.path, 'users'), path.join(copy.path, 'users'), { recursive: true })
        const run = trainInNode(copy.path, ['--detector', detector])
        const trained = parseTrained(run.output)
        node.push({
          where: 'npm run train (Node, wasm)',
          detector,
          photos: trained?.photos ?? null,
          seconds: round(run.seconds, 2),
          photosPerSecond: trained ? round(trained.photos / run.seconds, 2) : null,
          /** The script's own clock starts once the models are loaded. */
          steadyPhotosPerSecond: trained ? round(trained.photos / trained.seconds, 2) : null,
        })
      } finally {
        await copy.remove()
      }
    }
    return { browserPage, browserCode, node }
  } finally {
    await server.stop()
    await data.remove()
  }
}

async function listStoredPhotos(dataDir: string): Promise<string[]> {
  const users = path.join(dataDir, 'users')
  const files: string[] = []
  for (const person of (await readdir(users)).sort()) {
    for (const file of (await readdir(path.join(users, person))).sort()) if (file.endsWith('.jpg')) files.push(path.join(users, person, file))
  }
  return files
}

// ---------------------------------------------------------------- part 2: re-training

/**
 * `count` distinct stored photos (fixture photos normalized as the app stores them, each re-encoded
 * at a slightly different brightness), 10 a person, and a faces.json that has every one trained
 * under its hash: a model as training would have left it.
 */
async function seedTrainedModel(data: TempDataDir, count: number): Promise<void> {
  const bases = await Promise.all(fixturePhotos.map(async (file) => normalizePhoto(await readFile(path.join(facesDir, file)), file)))
  const model: FaceModel = { version: currentModelVersion, generation: 1, updatedAt: new Date().toISOString(), people: [] }
  const hashes = new Set<string>()
  for (let index = 0; index < count; index++) {
    const person = `person-${String(Math.floor(index / photosPerPerson)).padStart(4, '0')}`
    const photo = `photo-${String(index).padStart(5, '0')}.jpg`
    const variant = Math.floor(index / bases.length)
    const bytes = await sharp(bases[index % bases.length]!).modulate({ brightness: 1 + 0.004 * variant }).jpeg({ quality: 90 }).toBuffer()
    const hash = createHash('sha256').update(bytes).digest('hex')
    hashes.add(hash)
    await mkdir(path.join(data.path, 'users', person), { recursive: true })
    await writeFile(path.join(data.path, 'users', person, photo), bytes)
    if (model.people.at(-1)?.name !== person) model.people.push({ name: person, descriptors: [], rejected: [] })
    model.people.at(-1)!.descriptors.push({ ...descriptorEntry(photo, index), hash })
  }
  if (hashes.size !== count) throw new Error(`Only ${hashes.size} of ${count} generated photos are distinct`)
  await writeFile(path.join(data.path, 'faces.json'), JSON.stringify(model))
}

async function retrain(context: BrowserContext, count: number) {
  const data = await createTempDataDir()
  await seedTrainedModel(data, count)
  const server = await startServer({ DATA_DIR: data.path })
  try {
    const photo = async (file: string) => [{ name: path.basename(file), bytes: await readFile(path.join(facesDir, file)) }]
    const { page, pageErrors } = await openTrainPage(context, server.url)
    // Loads the models and finds nothing to do: what re-training costs with no new photo.
    const nothingNew = await clickTrainAll(page)
    await uploadPhotos(server.url, 'person-0000', await photo(addedPhotos[0]!))
    const onePhoto = await clickTrainAll(page)
    await page.close()
    await uploadPhotos(server.url, 'person-0000', await photo(addedPhotos[1]!))
    const node = trainInNode(data.path)
    return {
      modelPhotos: count,
      trainPage: {
        nothingNewMs: round(nothingNew.ms, 0),
        nothingNewLabel: nothingNew.label,
        onePhotoMs: round(onePhoto.ms, 0),
        onePhotoLabel: onePhoto.label,
        onePhotoModelWrites: onePhoto.modelWrites,
        pageErrors,
      },
      node: { seconds: round(node.seconds, 2), trained: parseTrained(node.output) },
    }
  } finally {
    await server.stop()
    await data.remove()
  }
}

// ---------------------------------------------------------------- the run

const run = recordMachine()
const browser = await launchBrowser()
let batchResults: Awaited<ReturnType<typeof batch>> | null = null
const retrainResults: Awaited<ReturnType<typeof retrain>>[] = []
try {
  if (parts.batch) {
    batchResults = await batch(browser.context)
    console.log('  batch: done')
  }
  for (const count of parts.retrain ? [baselinePhotos, modelPhotos] : []) {
    retrainResults.push(await retrain(browser.context, count))
    console.log(`  re-train on ${count} photos: done`)
  }
} finally {
  await browser.close()
}

if (batchResults) {
  console.log(`\nBatch training of ${fixturePhotos.length} fixture photos (stored 320x247)`)
  console.table(
    [batchResults.browserPage, ...batchResults.browserCode, ...batchResults.node].map((result) => ({
      where: result.where,
      detector: result.detector,
      photos: result.photos,
      's (all)': result.seconds,
      'photos/s (all)': result.photosPerSecond,
      'photos/s (models loaded)': 'steadyPhotosPerSecond' in result ? result.steadyPhotosPerSecond : result.photosPerSecond,
    })),
  )
}

let retrainTarget = null
const [baseline, large] = retrainResults
if (baseline && large) {
  console.log(`\nRe-training after adding one photo (${addedPhotos.join(', ')})`)
  console.table(
    retrainResults.map((result) => ({
      'model photos': result.modelPhotos,
      'Train page, nothing new ms': result.trainPage.nothingNewMs,
      'Train page, one new photo ms': result.trainPage.onePhotoMs,
      'Train page says': result.trainPage.onePhotoLabel,
      'model writes': result.trainPage.onePhotoModelWrites,
      'npm run train s (process)': result.node.seconds,
      'npm run train s (its clock)': result.node.trained?.seconds ?? '—',
      'npm run train photos': result.node.trained?.photos ?? '—',
    })),
  )
  // "That photo's cost only": the large model may add at most half of one photo's own cost, the
  // figure the batch gives (or, without it, the small model's re-train).
  const steady = batchResults?.browserPage.steadyPhotosPerSecond
  const singlePhotoMs = steady ? 1000 / steady : baseline.trainPage.onePhotoMs
  const overheadMs = large.trainPage.onePhotoMs - baseline.trainPage.onePhotoMs
  const nodeOverheadMs = ((large.node.trained?.seconds ?? 0) - (baseline.node.trained?.seconds ?? 0)) * 1000
  retrainTarget = {
    target: "that photo's cost only: the large model adds at most half a photo's cost",
    singlePhotoMs: round(singlePhotoMs, 0),
    trainPageOverheadMs: round(overheadMs, 0),
    nodeOverheadMs: round(nodeOverheadMs, 0),
    met: overheadMs <= singlePhotoMs / 2 && nodeOverheadMs <= singlePhotoMs / 2 && large.node.trained?.photos === 1,
  }
  console.log(
    `  ${modelPhotos} photos vs ${baselinePhotos}: +${retrainTarget.trainPageOverheadMs} ms on the Train page, +${retrainTarget.nodeOverheadMs} ms in Node; ` +
      `one photo costs ${retrainTarget.singlePhotoMs} ms — ${retrainTarget.target}: ${retrainTarget.met ? 'met' : 'NOT met'}`,
  )
}
const machine = run.finish()
if (!machine.quiet) console.log(`  The machine was busy at the start (${describeMachine(machine)}): rerun when it is quiet.`)
await writeResults('train', machine, {
  settings: { parts, fixturePhotos: fixturePhotos.length, modelPhotos, baselinePhotos, photosPerPerson, addedPhotos },
  batch: batchResults,
  retrain: retrainResults,
  targets: { retrainOnePhoto: retrainTarget },
})
