import path from 'node:path'
import type { Locator } from 'playwright-core'
import sharp from 'sharp'
import { beforeAll, describe, expect, it } from 'vitest'
import { decodeDescriptor } from '../../shared/face/descriptor.js'
import { createGallery, matchDescriptor } from '../../shared/face/match.js'
import type { FaceModel } from '../../shared/face/model.js'
import { lookAlikeDistance } from '../../shared/face/training.js'
import { screenshotDir, useApp } from '../support/app.js'
import { seriousA11yViolations } from '../support/browser.js'
import { facesDir, listFiles, snapshotDir } from '../support/data.js'
import { readModelFile } from '../support/faces.js'
import { sendJson } from '../support/http.js'
import { register, uploadPhotos } from '../support/people.js'

const obama = (file: string) => `people/barack_obama/${file}`
// The colors of main.css: success is --ok, failure --danger.
const ok = 'rgb(29, 122, 58)'
const danger = 'rgb(180, 35, 24)'

/**
 * barack_obama's fixture photos, and the same face uploaded under other names: through the API and
 * `npm run train`, then on the pages in Chromium. Every distance and count comes from the real photos.
 */
describe('one face under two names', () => {
  const app = useApp()

  const readModel = () => readModelFile(app.data.path)
  const personOf = (model: FaceModel, name: string) => model.people.find((person) => person.name === name)
  const filesOf = (name: string) => listFiles(path.join(app.data.path, 'users', name))
  const upload = (name: string, photos: string[]) => uploadPhotos(app.server.url, name, photos)

  beforeAll(async () => {
    await register(app.server.url, 'barack_obama', [obama('obama.jpg'), obama('obama1.jpg'), obama('obama2.jpg')])
    await register(app.server.url, 'alan')
    await register(app.server.url, 'ada')
    await app.train()
  })

  describe('through the API and npm run train', () => {
    let flagged: string

    it("flags the photo under the second name, keeps it out of recognition, and leaves the first person's copy alone", async () => {
      flagged = (await upload('alan', [obama('obama.jpg')]))[0]!
      const output = await app.train()
      expect(output).toMatch(/alan: 0 usable, 0 rejected, 1 flagged/)
      // Named as it was uploaded, with the stored name that finds it.
      expect(flagged).toMatch(/-obama\.jpg$/)
      expect(output).toMatch(new RegExp(`"obama" \\(${flagged.replace('.', '\\.')}\\): looks like barack_obama \\(0\\.\\d\\d\\): wrong person\\?`))
      expect(output).toMatch(/alan ↔ barack_obama: 0\.\d+ {2}← the same face under two names\?/)

      const model = (await sendJson(app.server.url, 'GET', '/api/faces')).body as FaceModel
      const [entry] = personOf(model, 'alan')!.descriptors
      expect(entry!.lookAlike).toMatchObject({ person: 'barack_obama' })
      expect(entry!.lookAlike!.distance).toBeLessThan(lookAlikeDistance)
      expect(personOf(model, 'barack_obama')!.descriptors.filter((candidate) => candidate.lookAlike)).toEqual([])
      // The Recognize page's matcher: the face names barack_obama, never alan.
      const gallery = createGallery(model)
      expect(gallery.names).toEqual(['barack_obama'])
      expect(matchDescriptor(gallery, decodeDescriptor(entry!.descriptor))[0]!.name).toBe('barack_obama')
    })

    it('refuses a confirmation or move that is stale, wrong or for nobody, and changes nothing', async () => {
      const { generation } = await readModel()
      const [barackPhoto] = personOf(await readModel(), 'barack_obama')!.descriptors.map((entry) => entry.photo)
      const before = await snapshotDir(app.data.path)
      const confirm = (person: string, photo: string) => `/api/faces/people/${encodeURIComponent(person)}/photos/${photo}/confirm`
      const move = (person: string, photo: string) => `/api/people/${encodeURIComponent(person)}/photos/${photo}/move`
      const cases: [string, string, unknown, number, string][] = [
        [confirm('alan', flagged), 'a stale generation', { generation: generation - 1 }, 409, 'stale_model'],
        [confirm('alan', flagged), 'no generation', {}, 400, 'invalid_generation'],
        [confirm('alan', flagged), 'a generation that is text', { generation: 'latest' }, 400, 'invalid_generation'],
        [confirm('barack_obama', barackPhoto!), 'a photo that is not flagged', { generation }, 409, 'not_flagged'],
        [confirm('alan', '0-none.jpg'), 'a photo that is not there', { generation }, 404, 'photo_not_found'],
        [confirm('nobody', flagged), 'nobody', { generation }, 404, 'person_not_found'],
        [move('alan', flagged), 'to nobody', { to: 'nobody', generation }, 404, 'person_not_found'],
        [move('alan', flagged), 'to the same person', { to: 'alan', generation }, 400, 'same_person'],
        [move('alan', flagged), 'with a stale generation', { to: 'barack_obama', generation: generation - 1 }, 409, 'stale_model'],
        [move('alan', '0-none.jpg'), 'a photo that is not there', { to: 'barack_obama', generation }, 404, 'photo_not_found'],
        [move('alan', flagged), 'to a bad name', { to: '../etc', generation }, 400, 'invalid_name'],
        [move('alan', flagged), 'with an unknown field', { to: 'barack_obama', generation, force: true }, 400, 'invalid_body'],
      ]
      for (const [route, what, body, status, code] of cases) {
        const reply = await sendJson(app.server.url, 'POST', route, body)
        expect([what, reply.status, (reply.body as { error: { code: string } }).error.code]).toEqual([what, status, code])
      }
      expect(await snapshotDir(app.data.path)).toEqual(before)
    })

    it('confirms: the photo names faces again, and stays confirmed when trained again', async () => {
      const { generation } = await readModel()
      const reply = await sendJson(app.server.url, 'POST', `/api/faces/people/alan/photos/${flagged}/confirm`, { generation })
      expect(reply.status).toBe(200)
      expect(reply.body).toEqual({ generation: generation + 1, flagged: [] })
      const [entry] = personOf(await readModel(), 'alan')!.descriptors
      expect(entry).toMatchObject({ photo: flagged, confirmed: true })
      expect(entry!.lookAlike).toBeUndefined()
      expect(createGallery(await readModel()).names).toEqual(['alan', 'barack_obama'])
      expect(await app.train()).toMatch(/alan: 1 usable, 0 rejected {2}←/)
      expect(personOf(await readModel(), 'alan')!.descriptors[0]).toEqual(entry)
    })

    it('moves a flagged photo: the file and its descriptor go to the person it looks like', async () => {
      const [photo] = await upload('alan', [obama('obama2.jpg')])
      await app.train()
      const before = personOf(await readModel(), 'alan')!.descriptors.find((entry) => entry.photo === photo)!
      expect(before.lookAlike?.person).toBe('barack_obama')
      const { generation } = await readModel()
      const reply = await sendJson(app.server.url, 'POST', `/api/people/alan/photos/${photo}/move`, { to: 'barack_obama', generation })
      expect(reply.status).toBe(200)
      expect((reply.body as { to: { photos: { name: string }[] } }).to.photos.map((stored) => stored.name)).toContain(photo)
      expect(await filesOf('alan')).toEqual([flagged])
      expect(await filesOf('barack_obama')).toContain(photo)
      const model = await readModel()
      const { lookAlike: _flag, ...moved } = before
      expect(personOf(model, 'barack_obama')!.descriptors.find((entry) => entry.photo === photo)).toEqual(moved)
      expect(personOf(model, 'alan')!.descriptors.map((entry) => entry.photo)).toEqual([flagged])
      // Nothing is trained again: the descriptor came with the photo.
      expect(await app.train()).toContain('0 new or changed photos')
    })

    it('forgets the flags pointing at a person who is deleted', async () => {
      expect((await sendJson(app.server.url, 'DELETE', '/api/people/alan')).status).toBe(204)
      expect(personOf(await readModel(), 'alan')).toBeUndefined()
      expect(personOf(await readModel(), 'barack_obama')!.descriptors.every((entry) => !entry.lookAlike)).toBe(true)
    })
  })

  describe('on the pages in Chromium', () => {
    const photoTiles = () => app.page.getByTestId('photo')
    const tile = (photo: string) => app.page.locator(`[data-testid="photo"][data-photo="${photo}"]`)
    const colorOf = (locator: Locator) => locator.evaluate((element) => getComputedStyle(element).color)

    async function uploadOnPage(file: string): Promise<Locator> {
      await app.page.getByTestId('file-input').setInputFiles(path.join(facesDir, file))
      const item = app.page.getByTestId('upload-item').first()
      await expect.poll(async () => String(await item.getAttribute('data-training')), { timeout: 90_000 }).toMatch(/^(trained|rejected)$/)
      return item
    }

    async function lookAtBothSizes(name: string, label: string) {
      for (const [size, viewport] of [['wide', { width: 1280, height: 800 }], ['phone', { width: 390, height: 844 }]] as const) {
        await app.page.setViewportSize(viewport)
        await app.page.screenshot({ path: path.join(screenshotDir, `${name}-${size}.png`), fullPage: true })
        expect(await seriousA11yViolations(app.page), `${label} at ${size} size`).toEqual([])
      }
      await app.page.setViewportSize({ width: 1280, height: 800 })
    }

    it('says at upload that the photo looks like barack_obama, not in success colors', async () => {
      await app.page.goto(`${app.server.url}/people/ada`)
      const item = await uploadOnPage(obama('obama.jpg'))
      expect(await item.getAttribute('data-training')).toBe('rejected')
      expect(await item.textContent()).toMatch(/Not used for recognition: looks like barack_obama \(0\.\d\d\): wrong person\?/)
      expect(await colorOf(item.locator('.result'))).toBe(danger)
    })

    it('marks the flagged thumbnail with its reason and actions, also after a reload', async () => {
      const [photo] = await filesOf('ada')
      for (const loaded of ['after the upload', 'after a reload']) {
        if (loaded === 'after a reload') await app.page.reload()
        await expect.poll(() => tile(photo!).getAttribute('data-status'), { message: loaded }).toBe('flagged')
        expect(await tile(photo!).getByTestId('photo-status').textContent()).toMatch(/Not used: looks like barack_obama \(0\.\d\d\): wrong person\?/)
        expect(await colorOf(tile(photo!).getByTestId('photo-status'))).toBe(danger)
        for (const action of ['confirm-photo', 'move-photo', 'replace-photo', 'delete-photo']) expect(await tile(photo!).getByTestId(action).count(), action).toBe(1)
        expect(await app.page.getByTestId('photo-hint').textContent()).toContain('0 usable of 1 photo: needs 3 more')
      }
      await lookAtBothSizes('look-alike-person', 'person page with a flagged photo')
    })

    it('shows usable photos and "needs N more" from the model on the People page', async () => {
      await app.page.goto(`${app.server.url}/people`)
      const card = (name: string) => app.page.locator(`[data-testid="person"][data-name="${name}"]`)
      const model = await readModel()
      const barackUsable = personOf(model, 'barack_obama')!.descriptors.filter((entry) => !entry.lookAlike).length
      expect(barackUsable).toBeGreaterThanOrEqual(3)
      expect(await card('barack_obama').getByTestId('photo-count').textContent()).toContain(`${barackUsable} usable of ${(await filesOf('barack_obama')).length}`)
      expect(await colorOf(card('barack_obama').getByTestId('photo-count'))).toBe(ok)
      expect(await card('barack_obama').getByTestId('needs-more').count()).toBe(0)
      expect(await card('ada').getByTestId('photo-count').textContent()).toContain('0 usable of 1')
      expect(await colorOf(card('ada').getByTestId('photo-count'))).not.toBe(ok)
      expect(await card('ada').getByTestId('needs-more').textContent()).toContain('Needs 3 more usable photos for reliable recognition (1 not usable)')
      await lookAtBothSizes('look-alike-people', 'people list with a flagged photo')
    })

    it('names the same face under two names as the likely cause on the Train page', async () => {
      await app.page.goto(`${app.server.url}/train`)
      const advice = app.page.locator('[data-testid="closest-advice"] li[data-a="ada"][data-b="barack_obama"]')
      expect(await advice.getAttribute('data-cause')).toBe('same-face')
      expect(await advice.textContent()).toContain('the same face under two names?')
      expect(await app.page.locator('[data-testid="summary-person"][data-name="ada"] [data-testid="flagged"]').getAttribute('data-looks-like')).toBe('barack_obama')
      await lookAtBothSizes('look-alike-train', 'train page with a flagged photo')
    })

    it('moves the flagged photo to barack_obama, with its descriptor', async () => {
      await app.page.goto(`${app.server.url}/people/ada`)
      const [photo] = await filesOf('ada')
      await tile(photo!).getByTestId('move-photo').click()
      await expect.poll(() => photoTiles().count()).toBe(0)
      expect(await filesOf('barack_obama')).toContain(photo)
      const entry = personOf(await readModel(), 'barack_obama')!.descriptors.find((candidate) => candidate.photo === photo)
      expect(entry?.lookAlike).toBeUndefined()
      await app.page.goto(`${app.server.url}/people/barack_obama`)
      await expect.poll(() => tile(photo!).getAttribute('data-status')).toBe('usable')
    })

    it('confirms a flagged photo: it counts as usable and names faces', async () => {
      await app.page.goto(`${app.server.url}/people/ada`)
      await uploadOnPage(obama('obama1.jpg'))
      const [photo] = await filesOf('ada')
      await expect.poll(() => tile(photo!).getAttribute('data-status')).toBe('flagged')
      await tile(photo!).getByTestId('confirm-photo').click()
      await expect.poll(() => tile(photo!).getAttribute('data-status')).toBe('usable')
      expect(await colorOf(tile(photo!).getByTestId('photo-status'))).toBe(ok)
      expect(personOf(await readModel(), 'ada')!.descriptors[0]).toMatchObject({ photo, confirmed: true })
      expect(createGallery(await readModel()).names).toContain('ada')
      expect(await app.page.getByTestId('photo-hint').textContent()).toContain('1 usable of 1 photo: needs 2 more')
    })

    it('shows why a photo was rejected after a reload, and replaces it with a new file', async () => {
      // A corner of a real photo, with the flag and curtain but no face.
      const noFace = path.join(app.scratch, 'curtain.jpg')
      await sharp(path.join(facesDir, obama('obama.jpg'))).extract({ left: 0, top: 0, width: 300, height: 230 }).jpeg().toFile(noFace)
      await app.page.getByTestId('file-input').setInputFiles(noFace)
      const item = app.page.getByTestId('upload-item').first()
      await expect.poll(() => item.getAttribute('data-training'), { timeout: 90_000 }).toBe('rejected')
      expect(await colorOf(item.locator('.result'))).toBe(danger)
      const ada = personOf(await readModel(), 'ada')!
      const [rejection] = ada.rejected
      expect(rejection).toBeDefined()
      await app.page.reload()
      await expect.poll(() => tile(rejection!.photo).getAttribute('data-status')).toBe('rejected')
      expect(await tile(rejection!.photo).getByTestId('photo-status').textContent()).toContain(`Not usable: ${rejection!.detail}`)
      expect(await colorOf(tile(rejection!.photo).getByTestId('photo-status'))).toBe(danger)
      await lookAtBothSizes('rejected-person', 'person page with a rejected photo')

      await tile(rejection!.photo).getByTestId('replace-photo').setInputFiles(path.join(facesDir, 'people/alex_lacamoire/alex_lacamoire1.jpg'))
      await expect.poll(() => tile(rejection!.photo).count()).toBe(0)
      const files = await filesOf('ada')
      expect(files).toHaveLength(2)
      const replacement = files.find((file) => file !== ada.descriptors[0]!.photo)!
      await expect.poll(() => tile(replacement).getAttribute('data-status'), { timeout: 90_000 }).toBe('usable')
      const after = personOf(await readModel(), 'ada')!
      expect(after.rejected).toEqual([])
      expect(after.descriptors.map((entry) => entry.photo).sort()).toEqual(files)
    })
  })
})
