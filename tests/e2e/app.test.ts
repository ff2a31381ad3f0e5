import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { seriousA11yViolations } from '../support/browser.js'
import { appVersion } from '../../api/paths.js'
import { horizontalOverflow, screenshotDir, useApp } from '../support/app.js'

describe('the production app in Chromium', () => {
  const app = useApp({ people: { kit_harington: ['people/kit_harington/john1.jpeg', 'people/kit_harington/john2.jpeg'] } })

  it('renders the home page and the people list on the server', async () => {
    const home = await (await fetch(app.server.url)).text()
    expect(home).toMatch(/<h1[^>]*>Face recognition that stays in your hands<\/h1>/)
    expect(home).toContain(`>${appVersion}</dd>`)

    const people = await (await fetch(`${app.server.url}/people`)).text()
    // The name as text, whatever marks its break points (<wbr> after an underscore).
    const link = people.match(/<a [^>]*href="\/people\/kit_harington"[^>]*>(.*?)<\/a>/)?.[1] ?? ''
    expect(link.replace(/<[^>]*>/g, '')).toBe('kit_harington')
    expect(people).toMatch(/data-testid="photo-count"[^>]*>\s*0 usable of 2\s*</)
    // The Vuex state travels to the browser in the Nuxt payload.
    const payload = people.match(/<script[^>]*id="__NUXT_DATA__"[^>]*>(.*?)<\/script>/)?.[1] ?? ''
    expect(payload).toContain('"vuex"')
    expect(payload).toContain('"kit_harington"')
  })

  it('answers the API and unknown API routes with JSON from the same port', async () => {
    const health = await fetch(`${app.server.url}/api/health`)
    expect(health.status).toBe(200)
    expect(await health.json()).toMatchObject({ status: 'ok', dataDir: 'writable' })
    const missing = await fetch(`${app.server.url}/api/nothing-here`)
    expect(missing.status).toBe(404)
    expect(await missing.json()).toEqual({ error: { code: 'not_found', message: 'Nothing at GET /api/nothing-here' } })
  })

  it('loads the face models in the browser, says so once ready with the bar gone, and logs no console errors', async () => {
    await app.page.goto(app.server.url)
    const status = app.page.getByTestId('models-status')
    await expect.poll(() => status.getAttribute('data-status'), { timeout: 60_000 }).toBe('ready')
    await expect.poll(() => status.getByRole('status').textContent()).toBe('Face models ready (wasm)')
    expect(await status.locator('progress').count()).toBe(0)
    expect(app.pageErrors).toEqual([])
    await app.page.screenshot({ path: path.join(screenshotDir, 'home.png'), fullPage: true })
    expect(await seriousA11yViolations(app.page)).toEqual([])
  })

  it('navigates between the pages on the client, each accessible', async () => {
    const pages = [
      { link: 'nav-people', url: '/people', heading: 'People' },
      { link: 'nav-train', url: '/train', heading: 'Train' },
      { link: 'nav-recognize', url: '/recognize', heading: 'Recognize' },
    ]
    for (const target of pages) {
      await app.page.getByTestId(target.link).click()
      await app.page.waitForURL(`${app.server.url}${target.url}`)
      await expect.poll(() => app.page.getByRole('heading', { level: 1 }).textContent()).toBe(target.heading)
      expect(await app.page.getByTestId(target.link).getAttribute('aria-current')).toBe('page')
      await app.page.screenshot({ path: path.join(screenshotDir, `${target.heading.toLowerCase()}.png`), fullPage: true })
      expect(await seriousA11yViolations(app.page), target.url).toEqual([])
    }
    await expect.poll(() => app.page.getByTestId('models-status').getAttribute('data-status')).toBe('ready')
    expect(app.pageErrors).toEqual([])
  })

  it('fits a phone screen without sideways scrolling', async () => {
    await app.page.setViewportSize({ width: 375, height: 740 })
    await app.page.goto(`${app.server.url}/people`)
    expect(await horizontalOverflow(app.page)).toBeLessThanOrEqual(0)
    await app.page.screenshot({ path: path.join(screenshotDir, 'people-phone.png'), fullPage: true })
  })
})
