import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchBrowser, type BrowserOptions } from '../support/browser.js'
import { addFixturePhotos, createTempDataDir, type TempDataDir } from '../support/data.js'
import { startServer, type RunningServer } from '../support/server.js'
import { fakeCameraVideo } from '../support/video.js'

describe('camera problems reach the screen in words', () => {
  let data: TempDataDir
  let scratch: string
  let server: RunningServer

  beforeAll(async () => {
    data = await createTempDataDir()
    scratch = await mkdtemp(path.join(os.tmpdir(), 'facer-e2e-'))
    await addFixturePhotos(data.path, 'rose_leslie', ['people/rose_leslie/rose_leslie_img1.jpg'])
    server = await startServer({ DATA_DIR: data.path })
  })
  afterAll(async () => {
    await server?.stop()
    await data?.remove()
    await rm(scratch, { recursive: true, force: true })
  })

  async function cameraError(options: BrowserOptions, origin = server.url): Promise<string | null> {
    const browser = await launchBrowser(options)
    try {
      const page = await browser.context.newPage()
      await page.goto(`${origin}/people/rose_leslie`)
      await page.getByTestId('tab-camera').click()
      await page.getByTestId('camera-start').click()
      const error = page.getByTestId('camera-error')
      await error.waitFor()
      expect(await error.getAttribute('role')).toBe('alert')
      return await error.textContent()
    } finally {
      await browser.close()
    }
  }

  it('when permission is denied', async () => {
    const message = await cameraError({ fakeVideo: fakeCameraVideo(scratch), grantCamera: false })
    expect(message).toBe('Camera access was denied. Allow this site to use the camera in your browser settings, then try again.')
  })

  it('when there is no camera', async () => {
    // No fake device: headless Chromium on a machine without a webcam has none.
    expect(await cameraError({})).toBe('No camera was found. Connect a camera and try again.')
  })

  it('on an insecure origin (plain HTTP, not localhost)', async () => {
    const port = new URL(server.url).port
    const message = await cameraError(
      { fakeVideo: fakeCameraVideo(scratch), extraArgs: ['--host-resolver-rules=MAP facer.test 127.0.0.1'] },
      `http://facer.test:${port}`,
    )
    expect(message).toBe('The camera needs a secure connection: open facer over HTTPS, or on http://localhost.')
  })
})
