import { execFileSync } from 'node:child_process'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type { Page } from 'playwright-core'
import { collectPageErrors, launchBrowser, type RunningBrowser } from './browser.js'
import { addFixturePhotos, createTempDataDir, repoRoot, type TempDataDir } from './data.js'
import { startServer, type RunningServer } from './server.js'

export const screenshotDir = path.join(repoRoot, 'test-results/screenshots')

/** The two screens every page is checked at: a laptop and a phone. */
export const screens = [
  { name: 'desktop', width: 1280, height: 800 },
  { name: 'phone', width: 390, height: 844 },
] as const

export interface AppOptions {
  /** Fixture photos (relative to fixtures/faces) per person, copied into the data folder. */
  people?: Record<string, string[]>
  /** Trains them with the headless trainer (dist/scripts/train.js) before the server starts. */
  train?: boolean
  /** The fake camera's video: a function of a scratch folder that writes it there and returns its path. */
  camera?: (scratch: string) => string
  env?: Record<string, string>
}

/** The production app on its own data folder, with Chromium on one page: each e2e file's set-up. */
export interface App {
  data: TempDataDir
  scratch: string
  server: RunningServer
  browser: RunningBrowser
  page: Page
  /** The page's console errors and uncaught exceptions so far. */
  pageErrors: string[]
  close(): Promise<void>
}

export async function startApp(options: AppOptions = {}): Promise<App> {
  const data = await createTempDataDir()
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'facer-e2e-'))
  for (const [person, photos] of Object.entries(options.people ?? {})) await addFixturePhotos(data.path, person, photos)
  if (options.train) {
    execFileSync(process.execPath, [path.join(repoRoot, 'dist/scripts/train.js')], { env: { ...process.env, DATA_DIR: data.path }, stdio: 'pipe' })
  }
  const server = await startServer({ DATA_DIR: data.path, ...options.env })
  const browser = await launchBrowser(options.camera ? { fakeVideo: options.camera(scratch) } : {})
  const page = await browser.context.newPage()
  await mkdir(screenshotDir, { recursive: true })
  return {
    data,
    scratch,
    server,
    browser,
    page,
    pageErrors: collectPageErrors(page),
    async close() {
      await browser.close()
      await server.stop()
      await data.remove()
      await rm(scratch, { recursive: true, force: true })
    },
  }
}

/** How far the page is wider than the window: 0 or less when nothing scrolls sideways. */
export function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
}
