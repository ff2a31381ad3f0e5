import path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { a11yViolations } from '../support/browser.js'
import { horizontalOverflow, screens, screenshotDir, useApp, type App } from '../support/app.js'
import { register } from '../support/people.js'
import { fakeCameraVideo, plainCameraVideo } from '../support/video.js'

/** The app with ada registered, and this video as the camera. */
function useAppWithAda(camera: (dir: string) => string): App {
  const app = useApp({ camera })
  beforeAll(async () => {
    await register(app.server.url, 'ada')
  })
  return app
}

/** Opens the camera tab of ada's page, starts the camera and waits for the hint. */
async function expectHint(app: App, hint: string, text: string) {
  const { page } = app
  await page.goto(`${app.server.url}/people/ada`)
  await page.getByTestId('tab-camera').click()
  await page.getByTestId('camera-start').click()
  await expect.poll(() => page.getByTestId('camera').getAttribute('data-status')).toBe('live')
  const shown = page.getByTestId('camera-hint')
  await expect.poll(() => shown.getAttribute('data-hint'), { timeout: 60_000 }).toBe(hint)
  expect(await shown.textContent()).toContain(text)
  expect(await page.locator('.guide').isVisible()).toBe(true)
  expect(await a11yViolations(page)).toEqual([])
}

// The hint comes from the page's own networks on what the fake camera shows.
describe('camera snapshots with the fixture clip as the camera', () => {
  const app = useAppWithAda(fakeCameraVideo)

  // Lin-Manuel Miranda stands alone on stage for seconds of each loop of the clip.
  it('hints "Face found" before the snap, over an oval guide', async () => {
    await expectHint(app, 'face_found', 'Face found')
  })

  it('fits a phone with the camera on', async () => {
    const { page } = app
    await page.setViewportSize(screens[1])
    expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0)
    await page.screenshot({ path: path.join(screenshotDir, 'camera-phone.png'), fullPage: true })
    await page.setViewportSize(screens[0])
  })

  it('counts down 3 seconds when asked, and keeps each snap with its own result', async () => {
    const { page } = app
    await page.getByTestId('camera-countdown').check()
    await page.getByTestId('camera-snap').click()
    const count = page.getByTestId('camera-count')
    await expect.poll(() => count.textContent()).toBe('3')
    await expect.poll(() => count.textContent()).toBe('1')
    const shots = page.getByTestId('camera-shot')
    await expect.poll(() => shots.count()).toBe(1)
    await expect.poll(() => page.getByTestId('camera-result').textContent(), { timeout: 60_000 }).toMatch(/^\s*Photo added · (?!training)/)

    await page.getByTestId('camera-countdown').uncheck()
    await page.getByTestId('camera-snap').click()
    await expect.poll(() => shots.count()).toBe(2)
    await expect.poll(() => shots.evaluateAll((items) => items.map((item) => item.getAttribute('data-status'))), { timeout: 60_000 }).not.toContain('saving')
    const results = await shots.evaluateAll((items) => items.map((item) => item.querySelector('p')?.textContent?.trim()))
    expect(results).toHaveLength(2)
    for (const result of results) expect(result).toMatch(/^Photo added · /)
    expect(await shots.locator('img').count()).toBe(2)
    expect((await (await fetch(`${app.server.url}/api/people/ada`)).json()).photoCount).toBe(2)
    await page.screenshot({ path: path.join(screenshotDir, 'camera-snapshots.png'), fullPage: true })
    expect(app.pageErrors).toEqual([])
  })
})

const faceless = [
  { name: 'a plain gray picture', color: 'gray', hint: 'no_face', text: 'No face found' },
  { name: 'a black picture', color: 'black', hint: 'too_dark', text: 'Too dark' },
]

describe.each(faceless)('camera snapshots with $name as the camera', ({ color, hint, text }) => {
  const app = useAppWithAda((dir) => plainCameraVideo(dir, color))

  it(`hints "${text}" before the snap`, async () => {
    await expectHint(app, hint, text)
  })
})
