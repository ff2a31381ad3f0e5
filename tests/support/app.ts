import { execFile } from 'node:child_process'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll } from 'vitest'
import { collectPageErrors, launchBrowser, type RunningBrowser } from './browser.js'
import { copyData } from '../../api/storage/copy.js'
import { addFixturePhotos, createTempDataDir, repoRoot, type TempDataDir } from './data.js'
import { createDatabase, startPostgres, type PostgresServer } from './postgres.js'
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
  /** Fills the data folder further (after `people`, before any server starts). */
  prepare?: (dataDir: string) => Promise<void>
  /** Trains the people with the headless trainer (dist/scripts/train.js) before the servers start. */
  train?: boolean
  /**
   * How many production server processes share the data folder from the start: 1 (the default),
   * 2 as PM2's cluster mode runs them, 0 where the tests start their own (`startServer`).
   */
  servers?: number
  /**
   * PostgreSQL as the backend: a test server of the app's own (tests/support/postgres.ts), and a fresh
   * database on it into which the prepared data folder is copied before any server starts. Every server
   * process then stands for a host: the same DATABASE_URL, and an empty data folder of its own.
   * (Its own server rather than the api-postgres project's: there, a postgresUrl makes startApi switch
   * backends, which the e2e files that start an API beside the app do not want.)
   */
  database?: boolean
  /** The servers' environment, beside DATA_DIR (which it may replace). */
  env?: Record<string, string>
  /** Chromium with one page: true (the default), or false for none. */
  browser?: boolean
  /** The fake camera's video: a function of a scratch folder that writes it there and returns its path. */
  camera?: (scratch: string) => string
}

/**
 * The production app on its own data folder, with Chromium on one page: an e2e file's set-up.
 * Everything it starts is stopped, and everything it made removed, by `close`.
 */
export interface App {
  /** The data folder the servers serve, or with `database`, the one copied into the database. */
  data: TempDataDir
  /** With `database`: the database the servers share. */
  databaseUrl?: string
  /** A temporary folder of the app's own for files a test makes (a camera's video, an upload). */
  scratch: string
  /** The first of `servers`. */
  server: RunningServer
  /** The server processes on the data folder; `restartServer` puts a new one in the place of one. */
  servers: RunningServer[]
  browser: RunningBrowser
  page: Page
  /** The page's console errors and uncaught exceptions so far. */
  pageErrors: string[]
  /** One more server process on the data folder, with the app's environment and `env` over it; stopped at close if it still runs. */
  startServer(env?: Record<string, string>): Promise<RunningServer>
  /** A new server process, with the app's environment, in the place of `servers[index]` (stopped first if it still runs). */
  restartServer(index: number): Promise<RunningServer>
  /** `npm run train` on the data folder, as built: its output. */
  train(): Promise<string>
  /** Runs at close, after the servers stop and before the folders are removed; the last added runs first. */
  onClose(cleanup: () => Promise<void> | void): void
  close(): Promise<void>
}

/** `npm run train` (the compiled dist/scripts/train.js) on a data folder: its output. */
export async function trainHeadless(dataDir: string): Promise<string> {
  const train = path.join(repoRoot, 'dist/scripts/train.js')
  const { stdout } = await promisify(execFile)(process.execPath, [train], { env: { ...process.env, DATA_DIR: dataDir } })
  return stdout
}

export async function startApp(options: AppOptions = {}): Promise<App> {
  const data = await createTempDataDir()
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'facer-e2e-'))
  const env = { DATA_DIR: data.path, ...options.env }
  let postgres: PostgresServer | undefined
  let databaseUrl: string | undefined
  // On PostgreSQL, each server process is a host with a disk of its own (in the scratch folder).
  const serverEnv = async (extra: Record<string, string> = {}): Promise<Record<string, string>> =>
    databaseUrl === undefined ? { ...env, ...extra } : { ...env, DATA_DIR: await mkdtemp(path.join(scratch, 'host-')), DATABASE_URL: databaseUrl, ...extra }
  const serverEnvs: Record<string, string>[] = []
  const startServerAt = async (index: number) => startServer((serverEnvs[index] ??= await serverEnv()))
  const servers: RunningServer[] = []
  const extraServers: RunningServer[] = []
  const cleanups: (() => Promise<void> | void)[] = []
  let browser: RunningBrowser | undefined
  let page: Page | undefined
  let pageErrors: string[] | undefined

  const started = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`startApp: this app has no ${what} (see AppOptions)`)
    return value
  }
  const app: App = {
    data,
    get databaseUrl() {
      return databaseUrl
    },
    scratch,
    servers,
    get server() {
      return started(servers[0], 'server')
    },
    get browser() {
      return started(browser, 'browser')
    },
    get page() {
      return started(page, 'browser page')
    },
    get pageErrors() {
      return started(pageErrors, 'browser page')
    },
    async startServer(extra = {}) {
      const server = await startServer(await serverEnv(extra))
      extraServers.push(server)
      return server
    },
    async restartServer(index) {
      await servers[index]?.stop()
      servers[index] = await startServerAt(index)
      return servers[index]
    },
    train: () => trainHeadless(data.path),
    onClose(cleanup) {
      cleanups.push(cleanup)
    },
    async close() {
      await browser?.close()
      await Promise.all([...servers, ...extraServers].map((server) => server.stop()))
      for (const cleanup of [...cleanups].reverse()) await cleanup()
      await postgres?.stop()
      await data.remove()
      await rm(scratch, { recursive: true, force: true })
    },
  }

  // Whatever was started before a step fails is stopped again, and the folders removed.
  try {
    for (const [person, photos] of Object.entries(options.people ?? {})) await addFixturePhotos(data.path, person, photos)
    await options.prepare?.(data.path)
    if (options.train) await app.train()
    if (options.database) {
      postgres = await startPostgres()
      const url = await createDatabase(postgres.url)
      await copyData(data.path, url)
      databaseUrl = url
    }
    const starts = await Promise.allSettled(Array.from({ length: options.servers ?? 1 }, (_, index) => startServerAt(index)))
    for (const start of starts) if (start.status === 'fulfilled') servers.push(start.value)
    for (const start of starts) if (start.status === 'rejected') throw start.reason
    if (options.browser !== false) {
      browser = await launchBrowser(options.camera ? { fakeVideo: options.camera(scratch) } : {})
      page = await browser.context.newPage()
      pageErrors = collectPageErrors(page)
      await mkdir(screenshotDir, { recursive: true })
    }
  } catch (err) {
    await app.close()
    throw err
  }
  return app
}

/**
 * The app of `startApp`, for the enclosing describe: started before its tests, closed after them
 * (also when its start failed halfway). What it holds can be read once it has started: in tests,
 * and in `beforeAll` hooks declared after this call, which run after it.
 */
export function useApp(options: AppOptions = {}): App {
  let app: App | undefined
  beforeAll(async () => {
    app = await startApp(options)
  })
  afterAll(async () => {
    await app?.close()
  })
  return new Proxy({} as App, {
    get(_target, key) {
      if (app === undefined) throw new Error('useApp: read the app in a test or a later hook, once it has started')
      return Reflect.get(app, key)
    },
  })
}

/** How far the page is wider than the window: 0 or less when nothing scrolls sideways. */
export function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
}
