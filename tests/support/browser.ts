import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { AxeBuilder } from '@axe-core/playwright'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import { ensureProgram } from './system.js'

/** CHROMIUM_PATH, else Debian's /usr/bin/chromium, installed with apt when we are root on Debian. */
export function findChromium(): string {
  const candidate = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
  if (process.env.CHROMIUM_PATH && !existsSync(candidate)) throw new Error(`CHROMIUM_PATH=${candidate} does not exist.`)
  ensureProgram(candidate, 'chromium', 'End-to-end tests need Chromium (or CHROMIUM_PATH set to a Chromium or Chrome binary)')
  return candidate
}

export interface BrowserOptions {
  /** A .y4m or .mjpeg file that Chromium's fake camera plays. */
  fakeVideo?: string
  /** With a fake camera: false leaves the permission prompt unanswered, which headless Chromium denies. */
  grantCamera?: boolean
  extraArgs?: string[]
}

export interface RunningBrowser {
  context: BrowserContext
  close(): Promise<void>
}

export async function launchBrowser(options: BrowserOptions = {}): Promise<RunningBrowser> {
  const userDataDir = mkdtempSync(path.join(os.tmpdir(), 'facer-chromium-'))
  const args = [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--disable-quic',
    '--no-first-run',
  ]
  if (options.fakeVideo) {
    args.push('--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${options.fakeVideo}`)
    if (options.grantCamera !== false) args.push('--use-fake-ui-for-media-stream')
  }
  args.push(...(options.extraArgs ?? []))
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: findChromium(),
    headless: true,
    args,
    viewport: { width: 1280, height: 800 },
  })
  return {
    context,
    async close() {
      await context.close()
      rmSync(userDataDir, { recursive: true, force: true })
    },
  }
}

/** Console errors and uncaught exceptions of a page, collected from now on. */
export function collectPageErrors(page: Page): string[] {
  const errors: string[] = []
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text())
  })
  page.on('pageerror', (error) => errors.push(error.message))
  return errors
}

type Impact = 'minor' | 'moderate' | 'serious' | 'critical'

/** axe-core's violations on the page as it is now, of the given impacts. */
export async function a11yViolations(page: Page, impacts: Impact[] = ['moderate', 'serious', 'critical']): Promise<string[]> {
  const { violations } = await new AxeBuilder({ page }).analyze()
  return violations
    .filter((violation) => impacts.includes(violation.impact as Impact))
    .map((violation) => `${violation.id} (${violation.impact}): ${violation.help} (${violation.nodes.map((node) => node.target).join(', ')})`)
}

/** axe-core's serious and critical violations on the page as it is now. */
export function seriousA11yViolations(page: Page): Promise<string[]> {
  return a11yViolations(page, ['serious', 'critical'])
}
