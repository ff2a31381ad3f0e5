import { describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { useApp } from '../support/app.js'
import { launchBrowser, type BrowserOptions } from '../support/browser.js'
import { fakeCameraVideo } from '../support/video.js'

describe('camera problems reach the screen in words', () => {
  const app = useApp({
    people: { rose_leslie: ['people/rose_leslie/rose_leslie_img1.jpg'] },
    // facer.test is the insecure origin below: a name of its own, so it must be allowed.
    env: { ALLOWED_HOSTS: 'facer.test' },
    // Each test starts a browser of its own, with the camera it is about.
    browser: false,
  })

  // The two places that use a camera: a person's page (snapshots) and the Recognize page.
  const cameraPages = [
    {
      name: 'person page',
      path: '/people/rose_leslie',
      open: async (page: Page) => {
        // A click before the page has hydrated does nothing: click the tab until its panel shows.
        const start = page.getByTestId('camera-start')
        await expect
          .poll(async () => {
            await page.getByTestId('tab-camera').click()
            return start.isVisible()
          })
          .toBe(true)
        await start.click()
      },
      error: 'camera-error',
    },
    {
      name: 'Recognize page',
      path: '/recognize',
      open: async (page: Page) => {
        const start = page.getByTestId('live-start')
        await expect.poll(() => start.isEnabled(), { timeout: 60_000 }).toBe(true)
        await start.click()
      },
      error: 'live-error',
    },
  ]

  async function cameraErrors(options: BrowserOptions, origin = app.server.url): Promise<string[]> {
    const browser = await launchBrowser(options)
    try {
      const messages: string[] = []
      for (const cameraPage of cameraPages) {
        const page = await browser.context.newPage()
        await page.goto(`${origin}${cameraPage.path}`)
        await cameraPage.open(page)
        const error = page.getByTestId(cameraPage.error)
        await error.waitFor()
        expect(await error.getAttribute('role'), cameraPage.name).toBe('alert')
        messages.push((await error.textContent()) ?? '')
      }
      return messages
    } finally {
      await browser.close()
    }
  }

  it('when permission is denied', async () => {
    const messages = await cameraErrors({ fakeVideo: fakeCameraVideo(app.scratch), grantCamera: false })
    expect(messages).toEqual(Array(2).fill('Camera access was denied. Allow this site to use the camera in your browser settings, then try again.'))
  })

  it('when there is no camera', async () => {
    // No fake device: headless Chromium on a machine without a webcam has none.
    expect(await cameraErrors({})).toEqual(Array(2).fill('No camera was found. Connect a camera and try again.'))
  })

  it('on an insecure origin (plain HTTP, not localhost)', async () => {
    const port = new URL(app.server.url).port
    const messages = await cameraErrors(
      { fakeVideo: fakeCameraVideo(app.scratch), extraArgs: ['--host-resolver-rules=MAP facer.test 127.0.0.1'] },
      `http://facer.test:${port}`,
    )
    expect(messages).toEqual(Array(2).fill('The camera needs a secure connection: open facer over HTTPS, or on http://localhost.'))
  })
})
