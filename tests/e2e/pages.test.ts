import path from 'node:path'
import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { a11yViolations } from '../support/browser.js'
import { horizontalOverflow, screens, screenshotDir, useApp } from '../support/app.js'
import { facesDir } from '../support/data.js'
import { register } from '../support/people.js'
import { fakeCameraVideo } from '../support/video.js'

// Every page as a person sees it, on a laptop and on a phone: nothing scrolls sideways, axe finds no
// moderate, serious or critical issue, and each page shows what it is for.
const pages: { path: string; name: string; ready(page: Page): Promise<void> }[] = [
  { path: '/', name: 'home', ready: (page) => expect.poll(() => page.getByTestId('models-status').getAttribute('data-status'), { timeout: 60_000 }).toBe('ready') },
  { path: '/people', name: 'people', ready: (page) => expect.poll(() => page.getByTestId('person').count()).toBe(4) },
  { path: '/people/lin_manuel_miranda', name: 'person', ready: (page) => expect.poll(() => page.getByTestId('photo').count()).toBe(1) },
  { path: '/train', name: 'train', ready: (page) => expect.poll(() => page.getByTestId('closest-pair').count()).toBeGreaterThan(0) },
  { path: '/recognize', name: 'recognize', ready: (page) => expect.poll(() => page.getByTestId('live-start').isEnabled(), { timeout: 60_000 }).toBe(true) },
  { path: '/no-such-page', name: 'not-found', ready: (page) => expect.poll(() => page.getByTestId('error-page').isVisible()).toBe(true) },
  { path: '/people/nobody', name: 'unknown-person', ready: (page) => expect.poll(() => page.getByTestId('error-page').isVisible()).toBe(true) },
]

describe('every page at a laptop\'s and a phone\'s size', () => {
  const app = useApp({
    people: {
      lin_manuel_miranda: ['people/lin_manuel_miranda/lin-manuel-miranda.png'],
      barack_obama: ['people/barack_obama/obama.jpg', 'people/barack_obama/obama1.jpg', 'people/barack_obama/obama2.jpg'],
      joe_biden: ['people/joe_biden/biden2.jpg'],
      kit_harington: ['people/kit_harington/john1.jpeg'],
    },
    train: true,
    camera: fakeCameraVideo,
  })

  const cases = screens.flatMap((screen) => pages.map((target) => ({ ...target, screen, label: `${target.name} at ${screen.width}x${screen.height}` })))
  it.each(cases)('$label: fits, and is accessible', async ({ path: route, name, screen, ready }) => {
    const { page } = app
    await page.setViewportSize(screen)
    await page.goto(`${app.server.url}${route}`)
    await ready(page)
    expect(await horizontalOverflow(page), 'px wider than the window').toBeLessThanOrEqual(0)
    expect(await a11yViolations(page)).toEqual([])
    await page.screenshot({ path: path.join(screenshotDir, `${name}-${screen.name}.png`), fullPage: true })
  })

  it.each(screens)('shows the camera first on Recognize at $width x $height, with Start on it, and the models\' bar gone once ready', async (screen) => {
    const { page } = app
    await page.setViewportSize(screen)
    await page.goto(`${app.server.url}/recognize`)
    const start = page.getByTestId('live-start')
    await expect.poll(() => start.isEnabled(), { timeout: 60_000 }).toBe(true)
    const video = page.locator('video')
    const inFirstScreen = () => video.evaluate((element) => {
      const { top, bottom } = element.getBoundingClientRect()
      return top >= 0 && top < window.innerHeight && bottom > top
    })
    expect(await inFirstScreen()).toBe(true)
    // Start sits on the picture.
    const [startBox, videoBox] = [await start.boundingBox(), await page.locator('.stage').boundingBox()]
    expect(startBox!.y).toBeGreaterThanOrEqual(videoBox!.y)
    expect(startBox!.y + startBox!.height).toBeLessThanOrEqual(videoBox!.y + videoBox!.height)
    await expect.poll(() => page.getByTestId('models-status').getAttribute('data-status'), { timeout: 60_000 }).toBe('ready')
    expect(await page.getByTestId('models-status').locator('progress').count()).toBe(0)
    expect(await page.getByTestId('live-details').evaluate((details: HTMLDetailsElement) => details.open)).toBe(false)

    await start.click()
    await expect.poll(() => page.getByTestId('live').getAttribute('data-status')).toBe('live')
    await expect.poll(() => page.getByTestId('detection').count(), { timeout: 30_000 }).toBeGreaterThan(0)
    expect(await inFirstScreen()).toBe(true)
    expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0)
    // The list of who is in view sits beside the video, or under it on a phone, not above it.
    const listBox = await page.getByTestId('detections').boundingBox()
    const stageBox = await page.locator('.stage').boundingBox()
    expect(listBox!.x >= stageBox!.x + stageBox!.width - 1 || listBox!.y >= stageBox!.y + stageBox!.height - 1).toBe(true)
    await expect.poll(() => page.getByTestId('live-fps').textContent()).toMatch(/^\d+ of 30 fps$/)
    await page.screenshot({ path: path.join(screenshotDir, `recognize-live-${screen.name}.png`), fullPage: true })
    expect(await a11yViolations(page)).toEqual([])
    await page.getByTestId('live-stop').click()
    await expect.poll(() => page.getByTestId('live').getAttribute('data-status')).toBe('idle')
  })

  it('draws the closest-pairs chart\'s text at a readable size on a phone', async () => {
    const { page } = app
    await page.setViewportSize(screens[1])
    await page.goto(`${app.server.url}/train`)
    const text = page.getByTestId('closest-pair').first().locator('text').first()
    const height = await text.evaluate((element) => element.getBoundingClientRect().height)
    // 13 px type in the chart's own units; under 11 px on the screen is hard to read.
    expect(height).toBeGreaterThanOrEqual(11)
  })

  const missing = [
    { route: '/no-such-page', detail: 'There is nothing at this address.' },
    { route: '/people/nobody', detail: 'Nobody is registered as "nobody"' },
  ]
  it.each(missing)('answers $route with 404, inside the layout, with its navigation', async ({ route, detail }) => {
    const response = await fetch(`${app.server.url}${route}`, { headers: { accept: 'text/html' } })
    expect(response.status).toBe(404)
    const html = await response.text()
    expect(html).toMatch(/<nav [^>]*aria-label="Main"/)
    expect(html).toMatch(/<h1[^>]*>Page not found<\/h1>/)

    const { page } = app
    await page.setViewportSize(screens[0])
    await page.goto(`${app.server.url}${route}`)
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Page not found')
    expect(await page.getByTestId('error-detail').textContent()).toBe(detail)
    // Said once: Nuxt's own page printed its message twice.
    expect((await page.locator('body').innerText()).match(/not found/gi)).toHaveLength(1)
    await page.getByTestId('nav-people').click()
    await page.waitForURL(`${app.server.url}/people`)
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('People')
    expect(app.pageErrors.filter((error) => !/404/.test(error))).toEqual([])
  })

  it('asks before leaving a page while a photo uploads, and leaves freely once it is done', async () => {
    const { page } = app
    await page.setViewportSize(screens[0])
    await page.goto(`${app.server.url}/people/lin_manuel_miranda`)
    // The upload is held at the network until the test lets it go.
    let release!: () => void
    const held = new Promise<void>((resolve) => (release = resolve))
    await page.route('**/api/people/*/photos', async (route) => {
      await held
      await route.continue()
    })
    await page.getByTestId('file-input').setInputFiles(path.join(facesDir, 'people/lin_manuel_miranda/lin-manuel-miranda.png'))
    await expect.poll(() => page.getByTestId('upload-item').first().getAttribute('data-status')).toBe('uploading')
    const asked: string[] = []
    page.once('dialog', (dialog) => {
      asked.push(dialog.message())
      void dialog.dismiss()
    })
    await page.getByTestId('nav-train').click()
    await expect.poll(() => asked).toEqual(['Photos are still uploading. Leave this page and lose the ones not sent yet?'])
    expect(page.url()).toBe(`${app.server.url}/people/lin_manuel_miranda`)

    release()
    await expect.poll(() => page.getByTestId('upload-item').first().getAttribute('data-status'), { timeout: 30_000 }).toBe('done')
    await page.unroute('**/api/people/*/photos')
    await page.getByTestId('nav-train').click()
    await page.waitForURL(`${app.server.url}/train`)
  })

  it('wraps a long name after an underscore, never inside a word', async () => {
    const name = 'lin_manuel_miranda_hamilton_original_cast'
    await register(app.server.url, name)
    const { page } = app
    for (const screen of screens) {
      await page.setViewportSize(screen)
      await page.goto(`${app.server.url}/people/${name}`)
      // The character before each line's first one, from the position of every character of the heading.
      const breaks = await page.getByRole('heading', { level: 1 }).evaluate((heading) => {
        const walker = document.createTreeWalker(heading, NodeFilter.SHOW_TEXT)
        const chars: { char: string; top: number }[] = []
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
          for (let index = 0; index < node.textContent!.length; index++) {
            const range = document.createRange()
            range.setStart(node, index)
            range.setEnd(node, index + 1)
            chars.push({ char: node.textContent![index]!, top: range.getBoundingClientRect().top })
          }
        }
        return chars.flatMap((entry, index) => (index > 0 && entry.top > chars[index - 1]!.top + 1 ? [chars[index - 1]!.char] : []))
      })
      if (screen.name === 'phone') expect(breaks.length, 'the name wraps on a phone').toBeGreaterThan(0)
      for (const before of breaks) expect(before, `at ${screen.width} px`).toBe('_')
    }
  })
})

describe('the sign-in page at a laptop\'s and a phone\'s size', () => {
  const app = useApp({ env: { ADMIN_PASSWORD: 'a long enough test password' } })

  it.each(screens)('fits $width x $height, and is accessible', async (screen) => {
    const { page } = app
    await page.setViewportSize(screen)
    await page.goto(`${app.server.url}/login`)
    await expect.poll(() => page.getByTestId('login-submit').isEnabled()).toBe(true)
    expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0)
    expect(await a11yViolations(page)).toEqual([])
    await page.screenshot({ path: path.join(screenshotDir, `login-${screen.name}.png`), fullPage: true })
  })
})
