import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { Page } from 'playwright-core'
import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import { screenshotDir, useApp } from '../support/app.js'
import { seriousA11yViolations } from '../support/browser.js'
import { facesDir, listFiles } from '../support/data.js'
import { fakeCameraVideo } from '../support/video.js'

const photos = ['people/barack_obama/obama.jpg', 'people/barack_obama/obama2.jpg', 'people/alex_lacamoire/alex-lacamoire.png']

async function expectAccessible(page: Page, label: string) {
  expect(await seriousA11yViolations(page), label).toEqual([])
}

describe('people and photos in Chromium', () => {
  const app = useApp({ camera: fakeCameraVideo })

  const filesOf = async (person: string) => listFiles(path.join(app.data.path, 'users', person))
  /** Usable photos as the face model has them: what the pages must show. */
  const usableOf = async (person: string) => {
    const model = JSON.parse(await readFile(path.join(app.data.path, 'faces.json'), 'utf8')) as { people: { name: string; descriptors: { lookAlike?: unknown }[] }[] }
    return model.people.find((entry) => entry.name === person)?.descriptors.filter((entry) => !entry.lookAlike).length ?? 0
  }

  it('validates a name inline before sending it', async () => {
    await app.page.goto(`${app.server.url}/people`)
    const name = app.page.getByLabel('Name', { exact: true })
    await name.fill('../etc')
    await app.page.getByRole('button', { name: 'Register' }).click()
    await expect.poll(() => app.page.getByRole('alert').textContent()).toBe("Use only letters, digits, spaces and . - ' _")
    expect(await name.getAttribute('aria-invalid')).toBe('true')
    expect(await listFiles(app.data.path)).toEqual([])
    await app.page.screenshot({ path: path.join(screenshotDir, 'people-invalid-name.png'), fullPage: true })
    await expectAccessible(app.page, 'people page with a name error')
  })

  it('registers a person and opens their page', async () => {
    await app.page.getByLabel('Name', { exact: true }).fill('  Lin-Manuel Miranda ')
    await app.page.getByRole('button', { name: 'Register' }).click()
    await app.page.waitForURL(`${app.server.url}/people/Lin-Manuel%20Miranda`)
    await expect.poll(() => app.page.getByRole('heading', { level: 1 }).textContent()).toBe('Lin-Manuel Miranda')
    expect(await app.page.getByTestId('photo-hint').textContent()).toContain('0 usable of 0 photos: needs 3 more')
    expect(await filesOf('Lin-Manuel Miranda')).toEqual([])
  })

  it('uploads three photos through the file input, each with its own result', async () => {
    await app.page.getByTestId('file-input').setInputFiles(photos.map((photo) => path.join(facesDir, photo)))
    const items = app.page.getByTestId('upload-item')
    // The server's first upload loads its face networks (bench/FRAMING.md): seconds more on 2 busy cores.
    await expect
      .poll(() => items.evaluateAll((all) => all.map((item) => item.getAttribute('data-status'))), { timeout: 60_000 })
      .toEqual(['done', 'done', 'done'])
    await expect.poll(() => app.page.getByTestId('photo').count()).toBe(3)
    const stored = await filesOf('Lin-Manuel Miranda')
    expect(stored).toHaveLength(3)
    for (const file of stored) {
      const meta = await sharp(path.join(app.data.path, 'users', 'Lin-Manuel Miranda', file)).metadata()
      expect([meta.format, meta.width, meta.height]).toEqual(['jpeg', 320, 247])
    }
    await expect.poll(() => items.evaluateAll((all) => all.filter((item) => item.getAttribute('data-training') === 'pending').length), { timeout: 90_000 }).toBe(0)
    const usable = await usableOf('Lin-Manuel Miranda')
    await expect.poll(() => app.page.getByTestId('photo-hint').getAttribute('data-usable')).toBe(String(usable))
    expect(await app.page.getByTestId('photo-hint').textContent()).toContain(`${usable} usable of 3 photos`)
    await app.page.screenshot({ path: path.join(screenshotDir, 'person-uploaded.png'), fullPage: true })
    await expectAccessible(app.page, 'person page after uploads')
  })

  it('shows why a file was refused and stores nothing for it', async () => {
    const fake = path.join(app.scratch, 'notes.jpg')
    await writeFile(fake, 'this is not a photo')
    await app.page.getByTestId('file-input').setInputFiles(fake)
    const refused = app.page.getByTestId('upload-item').first()
    await expect.poll(() => refused.getAttribute('data-status')).toBe('error')
    expect(await refused.textContent()).toContain('"notes.jpg" is not an image we can read (use JPEG, PNG or WebP)')
    expect(await filesOf('Lin-Manuel Miranda')).toHaveLength(3)
  })

  it('takes a snapshot from the camera', async () => {
    await app.page.getByTestId('tab-camera').click()
    await app.page.getByTestId('camera-start').click()
    await expect.poll(() => app.page.getByTestId('camera').getAttribute('data-status')).toBe('live')
    await app.page.getByTestId('camera-snap').click()
    await expect.poll(() => app.page.getByTestId('camera-result').textContent()).toContain('Photo added')
    await expect.poll(() => app.page.getByTestId('photo').count()).toBe(4)
    const stored = await filesOf('Lin-Manuel Miranda')
    expect(stored).toHaveLength(4)
    const snapshot = await sharp(path.join(app.data.path, 'users', 'Lin-Manuel Miranda', stored.at(-1)!)).metadata()
    expect([snapshot.width, snapshot.height]).toEqual([320, 247])
    await app.page.screenshot({ path: path.join(screenshotDir, 'person-camera.png'), fullPage: true })
    await expectAccessible(app.page, 'person page with the camera on')
  })

  it('deletes one photo after confirmation, the dialog showing that photo', async () => {
    const before = await filesOf('Lin-Manuel Miranda')
    const first = await app.page.getByTestId('photo').first().getAttribute('data-photo')
    await app.page.getByTestId('delete-photo').first().click()
    const shown = app.page.getByTestId('confirm-image').filter({ visible: true })
    expect(await shown.getAttribute('src')).toBe(await app.page.getByTestId('photo').first().locator('img').getAttribute('src'))
    expect(await shown.evaluate((image: HTMLImageElement) => image.complete && image.naturalWidth > 0)).toBe(true)
    await app.page.getByTestId('confirm-button').filter({ visible: true }).click()
    await expect.poll(() => app.page.getByTestId('photo').count()).toBe(3)
    expect(await filesOf('Lin-Manuel Miranda')).toEqual(before.filter((file) => file !== first))
  })

  it('renames the person, keeping their photos', async () => {
    await app.page.getByRole('link', { name: '← People' }).click()
    await app.page.waitForURL(`${app.server.url}/people`)
    const card = app.page.locator('[data-testid="person"][data-name="Lin-Manuel Miranda"]')
    expect(await card.getByTestId('photo-count').textContent()).toContain(`${await usableOf('Lin-Manuel Miranda')} usable of 3`)
    const photosBefore = await filesOf('Lin-Manuel Miranda')
    await card.getByTestId('rename').click()
    await card.getByLabel('New name').fill('Lin Manuel')
    await card.getByRole('button', { name: 'Save' }).click()
    await expect.poll(() => app.page.locator('[data-testid="person"]').getAttribute('data-name')).toBe('Lin Manuel')
    expect(await listFiles(path.join(app.data.path, 'users'))).toEqual(photosBefore.map((file) => `Lin Manuel/${file}`))
    await app.page.screenshot({ path: path.join(screenshotDir, 'people-list.png'), fullPage: true })
    await expectAccessible(app.page, 'people list')
  })

  it('deletes the person after confirmation', async () => {
    const card = app.page.locator('[data-testid="person"][data-name="Lin Manuel"]')
    await card.getByTestId('delete').click()
    const dialog = card.getByTestId('confirm-dialog')
    expect(await dialog.textContent()).toContain('Their 3 photos will be deleted')
    await dialog.getByTestId('confirm-button').click()
    await expect.poll(() => app.page.getByTestId('people-empty').isVisible()).toBe(true)
    // Their photos are gone, and so are their descriptors, which one-by-one training had saved.
    expect(await listFiles(path.join(app.data.path, 'users'))).toEqual([])
    const model = JSON.parse(await readFile(path.join(app.data.path, 'faces.json'), 'utf8'))
    expect(model.people).toEqual([])
  })

  it('accepts photos dropped onto the upload area', async () => {
    await app.page.getByLabel('Name', { exact: true }).fill('Rose Leslie')
    await app.page.getByRole('button', { name: 'Register' }).click()
    await app.page.waitForURL(`${app.server.url}/people/Rose%20Leslie`)
    const files = await Promise.all(
      ['people/rose_leslie/rose_leslie_img1.jpg', 'people/rose_leslie/rose_leslie_img2.jpg'].map(async (photo) => ({
        name: path.basename(photo),
        bytes: [...(await readFile(path.join(facesDir, photo)))],
      })),
    )
    const dataTransfer = await app.page.evaluateHandle((dropped) => {
      const transfer = new DataTransfer()
      for (const file of dropped) transfer.items.add(new File([new Uint8Array(file.bytes)], file.name, { type: 'image/jpeg' }))
      return transfer
    }, files)
    await app.page.getByTestId('dropzone').dispatchEvent('drop', { dataTransfer })
    const items = app.page.getByTestId('upload-item')
    await expect.poll(() => items.evaluateAll((all) => all.map((item) => item.getAttribute('data-status')))).toEqual(['done', 'done'])
    await expect.poll(() => app.page.getByTestId('photo').count()).toBe(2)
    expect(await filesOf('Rose Leslie')).toHaveLength(2)
  })
})
