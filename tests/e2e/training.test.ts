import { readFile, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import sharp from 'sharp'
import { beforeAll, describe, expect, it } from 'vitest'
import { decodeDescriptor, euclideanDistance } from '../../shared/face/descriptor.js'
import { enrollFace } from '../../shared/face/enroll.js'
import { FaceModelSchema } from '../../shared/face/model.js'
import { decodePhoto, nodeFaceRuntime } from '../../api/faces/node-runtime.js'
import { screenshotDir, useApp } from '../support/app.js'
import { seriousA11yViolations } from '../support/browser.js'
import { facesDir } from '../support/data.js'
import { readModelFile } from '../support/faces.js'
import { register, type PhotoFile } from '../support/people.js'

describe('training in Chromium', () => {
  const app = useApp()

  const readModel = () => readModelFile(app.data.path)
  const registerWith = (name: string, photos: PhotoFile[]) => register(app.server.url, name, photos)

  beforeAll(async () => {
    // A corner of a real photo, with the flag and curtain but no face.
    const noFace = await sharp(path.join(facesDir, 'people/barack_obama/obama.jpg')).extract({ left: 0, top: 0, width: 300, height: 230 }).jpeg().toBuffer()
    await registerWith('barack_obama', ['people/barack_obama/obama.jpg', 'people/barack_obama/obama1.jpg', 'people/barack_obama/obama2.jpg', 'people/barack_obama/obama_small.jpg'])
    await registerWith('joe_biden', ['people/joe_biden/biden2.jpg', 'groups/two_people.jpg'])
    await registerWith('kit_harington', ['people/kit_harington/john2.jpeg', { file: 'curtain.jpg', bytes: noFace }])
  })

  it('trains everyone in a batch and explains every rejected photo', async () => {
    await app.page.goto(`${app.server.url}/train`)
    expect(await app.page.getByTestId('untrained').textContent()).toContain('barack_obama, joe_biden, kit_harington')
    await app.page.getByTestId('train-all').click()
    const progress = app.page.getByTestId('training-progress')
    // While it runs: one progress bar (the models' loading is told in the training's own), and no "not trained yet".
    await expect.poll(() => progress.getAttribute('data-status')).toBe('running')
    expect(await app.page.locator('progress').count()).toBe(1)
    expect(await app.page.getByTestId('untrained').count()).toBe(0)
    await expect.poll(() => progress.getAttribute('data-status'), { timeout: 90_000 }).toBe('done')
    expect(await progress.getByRole('status').textContent()).toMatch(/^Trained 8 photos in \d+:\d\d$/)

    const row = (name: string) => app.page.locator(`[data-testid="summary-person"][data-name="${name}"]`)
    await expect.poll(() => row('barack_obama').getByTestId('usable-count').textContent()).toBe('4')
    expect(await row('barack_obama').getByTestId('needs-photos').count()).toBe(0)
    expect(await row('joe_biden').getByTestId('usable-count').textContent()).toBe('1')
    expect(await row('joe_biden').getByTestId('rejection').getAttribute('data-reason')).toBe('several_faces')
    expect(await row('joe_biden').getByTestId('rejection').textContent()).toContain('2 faces of similar size: use a photo of this person alone')
    expect(await row('joe_biden').getByTestId('needs-photos').isVisible()).toBe(true)
    expect(await row('kit_harington').getByTestId('rejection').getAttribute('data-reason')).toBe('no_face')
    expect(await row('kit_harington').getByTestId('rejection').textContent()).toContain('No face was found in this photo')

    const pairs = app.page.getByTestId('closest-pair')
    expect(await pairs.count()).toBe(3)
    const distances = await pairs.evaluateAll((all) => all.map((pair) => Number(pair.getAttribute('data-distance'))))
    expect(distances).toEqual([...distances].sort((a, b) => a - b))
    expect(distances.every((distance) => distance > 0.4 && distance < 1.2)).toBe(true)

    const model = await readModel()
    expect(model.people.map((person) => [person.name, person.descriptors.length, person.rejected.length])).toEqual([
      ['barack_obama', 4, 0],
      ['joe_biden', 1, 1],
      ['kit_harington', 1, 1],
    ])
    await app.page.screenshot({ path: path.join(screenshotDir, 'train-summary.png'), fullPage: true })
    expect(await seriousA11yViolations(app.page)).toEqual([])
  })

  it('trains nothing again when nothing changed', async () => {
    const before = await readModel()
    await app.page.getByTestId('train-all').click()
    const progress = app.page.getByTestId('training-progress')
    await expect.poll(() => progress.getByRole('status').textContent()).toBe('Everything was already up to date')
    const after = await readModel()
    expect(after.people).toEqual(before.people)
  })

  it('trains a photo right after it is uploaded, touching nothing else', async () => {
    const before = await readModel()
    await app.page.goto(`${app.server.url}/people/barack_obama`)
    await app.page.getByTestId('file-input').setInputFiles(path.join(facesDir, 'hard/32bit.png'))
    const item = app.page.getByTestId('upload-item').first()
    await expect.poll(() => item.getAttribute('data-training'), { timeout: 60_000 }).toBe('trained')
    expect(await item.textContent()).toContain('Trained: ready for recognition')
    // What the server did with the picture is said with the result.
    expect(await item.textContent()).toMatch(/Framed around the face \(\d+ px across in the \d+x\d+ picture\)/)

    const after = await readModel()
    const obama = after.people.find((person) => person.name === 'barack_obama')!
    expect(obama.descriptors).toHaveLength(5)
    expect(obama.descriptors.slice(0, 4)).toEqual(before.people[0]!.descriptors)
    expect(after.people.slice(1)).toEqual(before.people.slice(1))
    expect(after.generation).toBe(before.generation + 1)
  })

  it('gives the same descriptors in Node as in the browser (npm run train shares the code)', async () => {
    const runtime = await nodeFaceRuntime()
    const model = await readModel()
    let compared = 0
    for (const person of model.people) {
      for (const entry of person.descriptors) {
        const image = await decodePhoto(path.join(app.data.path, 'users', person.name, entry.photo))
        const result = await enrollFace(runtime, image)
        image.dispose()
        expect(result.ok, entry.photo).toBe(true)
        if (!result.ok) continue
        expect(euclideanDistance(result.descriptor, decodeDescriptor(entry.descriptor)), `${person.name}/${entry.photo}`).toBeLessThan(1e-3)
        compared++
      }
    }
    expect(compared).toBe(7)
  })

  it('exports the model and imports the reference app\'s faces.json', async () => {
    await app.page.goto(`${app.server.url}/train`)
    const [download] = await Promise.all([app.page.waitForEvent('download'), app.page.getByTestId('export-model').click()])
    expect(download.suggestedFilename()).toBe('faces.json')
    const exported = FaceModelSchema.parse(JSON.parse(await readFile((await download.path())!, 'utf8')))
    expect(exported.people).toEqual((await readModel()).people)

    // The reference app stored Float32Arrays as {"0": …, "127": …} objects.
    const legacy = exported.people.map((person) => ({
      user: person.name,
      descriptors: person.descriptors.map((entry) => ({
        path: `data/users/${person.name}/${entry.photo}`,
        descriptor: Object.fromEntries([...decodeDescriptor(entry.descriptor)].map((value, index) => [String(index), value])),
      })),
    }))
    const file = path.join(app.data.path, '..', `legacy-${path.basename(app.data.path)}.json`)
    await writeFile(file, JSON.stringify(legacy))
    const before = await readModel()
    try {
      // Nothing is replaced until the confirmation, which says what now is and what the file holds.
      await app.page.getByTestId('import-model').setInputFiles(file)
      const dialog = app.page.getByRole('dialog', { name: 'Replace the face model?' })
      await expect.poll(() => dialog.isVisible()).toBe(true)
      expect(await dialog.getByTestId('import-current').textContent()).toBe('Now3 people, 7 descriptors')
      expect(await dialog.getByTestId('import-incoming').textContent()).toBe(`In ${path.basename(file)}3 people, 7 descriptors`)
      await app.page.screenshot({ path: path.join(screenshotDir, 'train-import-confirm.png') })
      await dialog.getByTestId('cancel-button').click()
      await expect.poll(() => dialog.isVisible()).toBe(false)
      expect(await readModel()).toEqual(before)

      await app.page.getByTestId('import-model').setInputFiles(file)
      await expect.poll(() => dialog.isVisible()).toBe(true)
      await dialog.getByTestId('confirm-button').click()
      await expect.poll(() => app.page.getByTestId('import-result').textContent()).toBe(`Imported ${path.basename(file)}: 3 people, 7 descriptors`)
    } finally {
      await rm(file, { force: true })
    }
    const imported = await readModel()
    expect(imported.people.map((person) => person.descriptors.map((entry) => entry.descriptor))).toEqual(
      exported.people.map((person) => person.descriptors.map((entry) => entry.descriptor)),
    )
    // Imported photos have no known hash, so the next training processes them again.
    expect(imported.people.flatMap((person) => person.descriptors.map((entry) => entry.hash))).toEqual(Array(7).fill(''))
  })

  const badFiles = [
    { label: 'not JSON', text: 'faces', says: 'it is not a JSON file.' },
    { label: 'a newer version', text: JSON.stringify({ version: 2, generation: 0, updatedAt: '', people: [] }), says: 'it is a version 2 face model; this facer reads version 1.' },
    { label: 'no version', text: JSON.stringify({ people: [] }), says: 'it has no version number, so it is not a face model exported by facer.' },
    { label: 'a damaged descriptor', text: JSON.stringify([{ user: 'ada', descriptors: [{ path: 'a.jpg', descriptor: { 0: 1 } }] }]), says: 'a face descriptor (ada) is not 128 numbers a face gives, so the file may be damaged.' },
  ]
  it.each(badFiles)('refuses a faces.json that is $label in plain words, asking nothing and changing nothing', async ({ text, says }) => {
    await app.page.goto(`${app.server.url}/train`)
    const before = await readModel()
    const file = path.join(app.data.path, '..', `bad-${path.basename(app.data.path)}.json`)
    await writeFile(file, text)
    try {
      await app.page.getByTestId('import-model').setInputFiles(file)
      await expect.poll(() => app.page.getByTestId('import-result').textContent()).toBe(`${path.basename(file)} cannot be imported: ${says}`)
    } finally {
      await rm(file, { force: true })
    }
    expect(await app.page.getByRole('dialog', { name: 'Replace the face model?' }).isVisible()).toBe(false)
    expect(await app.page.getByTestId('import-result').getAttribute('role')).toBe('alert')
    expect(await readModel()).toEqual(before)
  })

  it('trains one new person on their own, and can be canceled with what was done kept', async () => {
    await registerWith('rose_leslie', [
      'people/rose_leslie/rose_leslie_img1.jpg',
      'people/rose_leslie/rose_leslie_img2.jpg',
      'people/alex_lacamoire/alex_lacamoire1.jpg',
      'people/alex_lacamoire/alex_lacamoire_img1.jpg',
    ])
    await app.page.goto(`${app.server.url}/train`)
    const before = await readModel()
    await app.page.getByRole('button', { name: 'Train rose_leslie' }).click()
    await app.page.getByTestId('training-cancel').click()
    const progress = app.page.getByTestId('training-progress')
    await expect.poll(() => progress.getAttribute('data-status'), { timeout: 30_000 }).toBe('canceled')
    const label = (await progress.getByRole('status').textContent()) ?? ''
    const done = Number(label.match(/^Canceled after (\d+) of 4 photos; what was done is saved$/)?.[1])
    expect(done, label).toBeLessThan(4)

    const after = await readModel()
    const rose = after.people.find((person) => person.name === 'rose_leslie')!
    expect(rose.descriptors.length + rose.rejected.length).toBe(done)
    expect(after.people.filter((person) => person.name !== 'rose_leslie')).toEqual(before.people)
  })
})
