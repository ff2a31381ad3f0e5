import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { collectPageErrors, launchBrowser, type RunningBrowser } from '../support/browser.js'
import { createTempDataDir, facesDir, type TempDataDir } from '../support/data.js'
import { frameLog, someFrameNames, trainLinAndBiden } from '../support/live.js'
import { startServer, type RunningServer } from '../support/server.js'
import { fakeCameraVideo } from '../support/video.js'


const viewerPassword = 'viewer password for the kiosk'

describe('a viewer kiosk with MATCH_ON_SERVER=1', () => {
  let data: TempDataDir
  let scratch: string
  let server: RunningServer
  let browser: RunningBrowser
  let page: Page
  let pageErrors: string[]
  /** The path of every request the browser made, from the page and its worker alike. */
  const requested: string[] = []

  beforeAll(async () => {
    data = await createTempDataDir()
    scratch = await mkdtemp(path.join(os.tmpdir(), 'facer-e2e-'))
    await trainLinAndBiden(data.path)
    server = await startServer({ DATA_DIR: data.path, ADMIN_PASSWORD: 'admin password for the kiosk', VIEWER_PASSWORD: viewerPassword, MATCH_ON_SERVER: '1' })
    browser = await launchBrowser({ fakeVideo: fakeCameraVideo(scratch) })
    browser.context.on('request', (request) => requested.push(`${request.method()} ${new URL(request.url()).pathname}`))
    page = await browser.context.newPage()
    pageErrors = collectPageErrors(page)
  })
  afterAll(async () => {
    await browser?.close()
    await server?.stop()
    await data?.remove()
    await rm(scratch, { recursive: true, force: true })
  })

  it('names Lin-Manuel Miranda on the fixture clip without ever asking for the face model', async () => {
    await page.goto(`${server.url}/recognize`)
    await page.waitForURL(`${server.url}/login?redirect=/recognize`)
    await expect.poll(() => page.getByTestId('login-submit').isEnabled()).toBe(true)
    await page.getByTestId('login-password').fill(viewerPassword)
    await page.getByTestId('login-submit').click()
    await page.waitForURL(`${server.url}/recognize`)
    await expect.poll(() => page.getByTestId('matching-on-server').isVisible()).toBe(true)

    const start = page.getByTestId('live-start')
    await expect.poll(() => start.isEnabled(), { timeout: 60_000 }).toBe(true)
    await start.click()
    const namesLin = () => someFrameNames(page, 'lin_manuel_miranda')
    await expect.poll(namesLin, { timeout: 60_000 }).toBe(true)

    const frames = (await frameLog(page)).length
    const matches = requested.filter((request) => request === 'POST /api/faces/match').length
    expect(requested.filter((request) => request.endsWith(' /api/faces'))).toEqual([])
    expect(matches).toBeGreaterThan(0)
    // A request only for a frame with a face due a descriptor, at the tracker's cadence.
    expect(matches).toBeLessThan(frames)
    expect(pageErrors).toEqual([])
  })

  it('names a dropped photo through the server too', async () => {
    const before = requested.filter((request) => request === 'POST /api/faces/match').length
    await page.getByTestId('photo-input').setInputFiles(path.join(facesDir, 'people/joe_biden/biden.jpg'))
    await expect.poll(() => page.getByTestId('photo-recognition').getAttribute('data-status'), { timeout: 60_000 }).toBe('done')
    expect(await page.getByTestId('photo-face').evaluateAll((items) => items.map((item) => item.getAttribute('data-name')))).toEqual(['joe_biden'])
    expect(requested.filter((request) => request === 'POST /api/faces/match').length).toBeGreaterThan(before)
    expect(requested.filter((request) => request.endsWith(' /api/faces'))).toEqual([])
  })
})
