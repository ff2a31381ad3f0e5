import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startApi, type RunningApi } from '../support/api.js'
import { useApp } from '../support/app.js'
import { collectPageErrors, launchBrowser, type RunningBrowser } from '../support/browser.js'
import { createTempDataDir, type TempDataDir } from '../support/data.js'
import { frameLog, someFrameNames, trainLinAndBiden } from '../support/live.js'
import { sendJson } from '../support/http.js'
import { startServer, type RunningServer } from '../support/server.js'
import { fakeCameraVideo } from '../support/video.js'

/**
 * Opens the Recognize page of `pageServer` with live video running, deletes Joe Biden through
 * `otherProcess`, and expects the page's gallery to follow within 2 s and keep naming Lin with it.
 */
async function expectLiveModelChange(page: Page, pageErrors: string[], pageServer: string, otherProcess: string): Promise<void> {
  await page.goto(`${pageServer}/recognize`)
  const loaded = page.getByTestId('model-loaded')
  await expect.poll(() => loaded.textContent()).toContain('Recognizing 2 people')
  const start = page.getByTestId('live-start')
  await expect.poll(() => start.isEnabled(), { timeout: 60_000 }).toBe(true)
  await start.click()
  const namesLin = () => someFrameNames(page, 'lin_manuel_miranda')
  await expect.poll(namesLin, { timeout: 60_000 }).toBe(true)
  const before = Number(await loaded.getAttribute('data-generation'))

  const removed = await sendJson(otherProcess, 'DELETE', '/api/faces/people/joe_biden')
  expect(removed.status).toBe(200)
  const generation = (removed.body as { generation: number }).generation
  expect(generation).toBeGreaterThan(before)
  await expect.poll(async () => [await loaded.getAttribute('data-generation'), await loaded.textContent()], { timeout: 2_000, interval: 50 }).toEqual([
    String(generation),
    expect.stringContaining('Recognizing 1 person'),
  ])

  // Live video never stopped, and names Lin from the new gallery: no reload, the same page.
  const framesAtChange = (await frameLog(page)).length
  await page.evaluate(() => {
    ;(window as unknown as { facerLiveLog: unknown[] }).facerLiveLog.length = 0
  })
  await expect.poll(namesLin, { timeout: 60_000 }).toBe(true)
  expect(framesAtChange).toBeGreaterThan(0)
  expect(await page.getByTestId('live').getAttribute('data-status')).toBe('live')
  expect(pageErrors).toEqual([])
}

describe('a model change reaches an open Recognize page, live video running', () => {
  let data: TempDataDir
  let scratch: string
  let server: RunningServer
  let otherWorker: RunningApi
  let browser: RunningBrowser
  let page: Page
  let pageErrors: string[]

  beforeAll(async () => {
    data = await createTempDataDir()
    scratch = await mkdtemp(path.join(os.tmpdir(), 'facer-e2e-'))
    await trainLinAndBiden(data.path)
    server = await startServer({ DATA_DIR: data.path })
    // Another process on the same data folder, as another PM2 worker would be.
    otherWorker = await startApi(data.path)
    browser = await launchBrowser({ fakeVideo: fakeCameraVideo(scratch) })
    page = await browser.context.newPage()
    pageErrors = collectPageErrors(page)
  })
  afterAll(async () => {
    await browser?.close()
    await otherWorker?.close()
    await server?.stop()
    await data?.remove()
    await rm(scratch, { recursive: true, force: true })
  })

  it('shows the new gallery within 2 s of a change made by another process, and keeps naming faces with it', async () => {
    await expectLiveModelChange(page, pageErrors, server.url, otherWorker.url)
  })
})

describe('on PostgreSQL, a model change made on one host reaches a Recognize page on another', () => {
  // Two production servers, standing for two hosts: one database, a data folder each.
  const app = useApp({ database: true, servers: 2, prepare: trainLinAndBiden, camera: fakeCameraVideo })

  it('shows the new gallery within 2 s of a change made through the other host, and keeps naming faces with it', async () => {
    const [hostA, hostB] = app.servers as [RunningServer, RunningServer]
    await expectLiveModelChange(app.page, app.pageErrors, hostB.url, hostA.url)
  })
})
