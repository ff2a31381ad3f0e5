import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { collectPageErrors, launchBrowser, seriousA11yViolations, type RunningBrowser } from '../support/browser.js'
import { addFixturePhotos, createTempDataDir, repoRoot, type TempDataDir } from '../support/data.js'
import { descriptorEntry, faceModelOf, personModel } from '../support/faces.js'
import { startServer, type RunningServer } from '../support/server.js'

const screenshotDir = path.join(repoRoot, 'test-results/screenshots')
const adminPassword = 'admin password for the e2e test'
const viewerPassword = 'viewer password for the e2e test'

declare global {
  interface Window {
    cspViolations?: string[]
  }
}

/** Every Content-Security-Policy violation a page reports, from the first script on. */
async function watchCsp(page: Page): Promise<() => Promise<string[]>> {
  await page.addInitScript(() => {
    window.cspViolations = []
    document.addEventListener('securitypolicyviolation', (event) => {
      window.cspViolations?.push(`${event.violatedDirective} ${event.blockedURI}`)
    })
  })
  return () => page.evaluate(() => window.cspViolations ?? [])
}

describe('sign-in and roles in Chromium, with passwords set', () => {
  let data: TempDataDir
  let server: RunningServer
  let browser: RunningBrowser
  let page: Page
  let pageErrors: string[]
  let cspViolations: () => Promise<string[]>

  beforeAll(async () => {
    data = await createTempDataDir()
    await addFixturePhotos(data.path, 'kit_harington', ['people/kit_harington/john1.jpeg', 'people/kit_harington/john2.jpeg'])
    server = await startServer({ DATA_DIR: data.path, ADMIN_PASSWORD: adminPassword, VIEWER_PASSWORD: viewerPassword })
    browser = await launchBrowser()
    page = await browser.context.newPage()
    pageErrors = collectPageErrors(page)
    cspViolations = await watchCsp(page)
    await mkdir(screenshotDir, { recursive: true })
  })
  afterAll(async () => {
    await browser?.close()
    await server?.stop()
    await data?.remove()
  })

  async function signIn(password: string) {
    await page.getByTestId('login-password').fill(password)
    await page.getByTestId('login-submit').click()
  }

  it('sends every page to the sign-in page, and the API and photos answer 401, without a session', async () => {
    for (const route of ['/', '/people', '/people/kit_harington', '/train', '/recognize']) {
      const res = await fetch(`${server.url}${route}`, { redirect: 'manual' })
      expect(res.status, route).toBe(302)
      const expected = route === '/' ? '/login' : `/login?redirect=${route}`
      expect(res.headers.get('location'), route).toBe(expected)
    }
    for (const route of ['/api/users', '/api/faces', '/data/users/kit_harington/photo-1.jpg']) {
      expect((await fetch(`${server.url}${route}`)).status, route).toBe(401)
    }

    await page.goto(`${server.url}/people`)
    await page.waitForURL(`${server.url}/login?redirect=/people`)
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Sign in')
    expect(await page.getByRole('navigation', { name: 'Main' }).count()).toBe(0)
    expect(await page.getByTestId('auth-off').count()).toBe(0)
  })

  it('says when the password is wrong, in an accessible alert, on desktop and on a phone', async () => {
    await expect.poll(() => page.getByTestId('login-submit').isEnabled()).toBe(true)
    await signIn('not the password')
    await expect.poll(() => page.getByRole('alert').textContent()).toBe('That password is not right')
    expect(await page.getByTestId('login-password').getAttribute('aria-invalid')).toBe('true')
    expect(page.url()).toBe(`${server.url}/login?redirect=/people`)
    // The refused sign-in request is the only failure the console reports.
    expect(pageErrors).toEqual(['Failed to load resource: the server responded with a status of 401 (Unauthorized)'])
    pageErrors.length = 0
    expect(await seriousA11yViolations(page)).toEqual([])
    await page.screenshot({ path: path.join(screenshotDir, 'login.png'), fullPage: true })

    await page.setViewportSize({ width: 375, height: 740 })
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
    expect(overflow).toBeLessThanOrEqual(0)
    await page.screenshot({ path: path.join(screenshotDir, 'login-phone.png'), fullPage: true })
    await page.setViewportSize({ width: 1280, height: 800 })
  })

  it('signs the admin in with an HttpOnly, SameSite=Strict cookie; the admin manages people and every page keeps its CSP', async () => {
    await signIn(adminPassword)
    await page.waitForURL(`${server.url}/people`)
    await expect.poll(() => page.getByTestId('session-role').textContent()).toBe('Signed in as admin')
    const [cookie] = await browser.context.cookies(server.url)
    expect(cookie).toMatchObject({ name: 'facer_session', httpOnly: true, sameSite: 'Strict', secure: false })

    const form = page.getByTestId('register-form')
    await form.getByLabel('Name').fill('Grace Hopper')
    await form.getByRole('button', { name: 'Register' }).click()
    await page.waitForURL(`${server.url}/people/Grace%20Hopper`)
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Grace Hopper')

    for (const target of ['nav-people', 'nav-train', 'nav-recognize']) {
      await page.getByTestId(target).click()
      await expect.poll(() => page.getByTestId(target).getAttribute('aria-current')).toBe('page')
    }
    await expect.poll(() => page.getByTestId('models-status').getAttribute('data-status'), { timeout: 60_000 }).toBe('ready')

    // Server-rendered with the session, each with a CSP whose scripts are hashed, never 'unsafe-inline'.
    const headers = { cookie: `${cookie!.name}=${cookie!.value}` }
    for (const route of ['/', '/people', '/people/kit_harington', '/train', '/recognize']) {
      const res = await fetch(`${server.url}${route}`, { headers, redirect: 'manual' })
      expect(res.status, route).toBe(200)
      const policy = res.headers.get('content-security-policy') ?? ''
      expect(policy, route).toMatch(/script-src 'self' 'wasm-unsafe-eval' blob: 'sha256-[\w+/=]+'/)
      expect(policy).not.toMatch(/script-src[^;]*unsafe-inline/)
      expect(res.headers.get('cross-origin-embedder-policy')).toBe('require-corp')
      expect(res.headers.get('access-control-allow-origin')).toBeNull()
    }
    const people = await (await fetch(`${server.url}/people`, { headers })).text()
    expect(people).toContain('kit_harington')
    expect(await cspViolations()).toEqual([])
    expect(pageErrors).toEqual([])
  })

  it('signs out for good: the page goes to sign-in and the old cookie no longer opens the API', async () => {
    const [cookie] = await browser.context.cookies(server.url)
    const headers = { cookie: `${cookie!.name}=${cookie!.value}` }
    expect((await fetch(`${server.url}/api/users`, { headers })).status).toBe(200)

    await page.getByTestId('sign-out').click()
    await page.waitForURL(`${server.url}/login`)
    expect(await browser.context.cookies(server.url)).toEqual([])
    expect((await fetch(`${server.url}/api/users`, { headers })).status).toBe(401)
    expect((await fetch(`${server.url}/people`, { headers, redirect: 'manual' })).status).toBe(302)
  })

  it('lets the viewer recognise with the model, but not manage people, train or see photos', async () => {
    const admin = await fetch(`${server.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ password: adminPassword }),
    })
    const model = faceModelOf([personModel('kit_harington', [descriptorEntry('photo-1.jpg', 1)])])
    const put = await fetch(`${server.url}/api/faces`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', cookie: admin.headers.getSetCookie()[0]!.split(';')[0]! },
      body: JSON.stringify(model),
    })
    expect(put.status).toBe(200)

    await expect.poll(() => page.getByTestId('login-submit').isEnabled()).toBe(true)
    await signIn(viewerPassword)
    await page.waitForURL(`${server.url}/recognize`)
    await expect.poll(() => page.getByTestId('session-role').textContent()).toBe('Signed in as viewer')
    await expect.poll(() => page.getByTestId('model-loaded').textContent(), { timeout: 60_000 }).toBe('Recognising 1 person.')
    await expect.poll(() => page.getByTestId('models-status').getAttribute('data-status'), { timeout: 60_000 }).toBe('ready')
    expect(await page.getByRole('navigation', { name: 'Main' }).getByRole('link').allTextContents()).toEqual(['Recognize'])

    for (const route of ['/people', '/train', '/people/kit_harington', '/']) {
      await page.goto(`${server.url}${route}`)
      await page.waitForURL(`${server.url}/recognize`)
    }
    expect(await cspViolations()).toEqual([])
    expect(pageErrors).toEqual([])

    const answers = await page.evaluate(async () => {
      const json = { 'content-type': 'application/json' }
      const requests: [string, RequestInit][] = [
        ['/api/users', {}],
        ['/api/users', { method: 'POST', headers: json, body: JSON.stringify({ name: 'Mallory' }) }],
        ['/api/users/kit_harington', { method: 'DELETE' }],
        ['/api/faces', { method: 'PUT', headers: json, body: '{}' }],
        ['/api/faces/people/kit_harington', { method: 'DELETE' }],
        ['/data/users/kit_harington/photo-1.jpg', {}],
        ['/api/faces', {}],
      ]
      return Promise.all(requests.map(async ([url, init]) => (await fetch(url, init)).status))
    })
    expect(answers).toEqual([403, 403, 403, 403, 403, 403, 200])
    expect(pageErrors).toEqual(answers.slice(0, 6).map(() => 'Failed to load resource: the server responded with a status of 403 (Forbidden)'))
  })
})

describe('with no password set', () => {
  it('serves every page without sign-in, each saying that sign-in is off, and /login leads home', async () => {
    const data = await createTempDataDir()
    const server = await startServer({ DATA_DIR: data.path })
    try {
      for (const route of ['/', '/people', '/train', '/recognize']) {
        const res = await fetch(`${server.url}${route}`, { redirect: 'manual' })
        expect(res.status, route).toBe(200)
        expect(await res.text(), route).toMatch(/data-testid="auth-off"[^>]*>\s*Sign-in is off/)
      }
      const login = await fetch(`${server.url}/login`, { redirect: 'manual' })
      expect(login.status).toBe(302)
      expect(login.headers.get('location')).toBe('/')
    } finally {
      await server.stop()
      await data.remove()
    }
  })
})
