import path from 'node:path'
import type { Page } from 'playwright-core'
import { beforeAll, describe, expect, it } from 'vitest'
import { horizontalOverflow, screenshotDir, useApp } from '../support/app.js'
import { seriousA11yViolations } from '../support/browser.js'
import { descriptorEntry, faceModelOf, personModel } from '../support/faces.js'

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
  const app = useApp({
    people: { kit_harington: ['people/kit_harington/john1.jpeg', 'people/kit_harington/john2.jpeg'] },
    env: { ADMIN_PASSWORD: adminPassword, VIEWER_PASSWORD: viewerPassword },
  })
  let cspViolations: () => Promise<string[]>

  beforeAll(async () => {
    cspViolations = await watchCsp(app.page)
  })

  async function signIn(password: string) {
    await app.page.getByTestId('login-password').fill(password)
    await app.page.getByTestId('login-submit').click()
  }

  it('sends every page to the sign-in page, and the API and photos answer 401, without a session', async () => {
    for (const route of ['/', '/people', '/people/kit_harington', '/train', '/recognize']) {
      const res = await fetch(`${app.server.url}${route}`, { redirect: 'manual' })
      expect(res.status, route).toBe(302)
      const expected = route === '/' ? '/login' : `/login?redirect=${route}`
      expect(res.headers.get('location'), route).toBe(expected)
    }
    for (const route of ['/api/people', '/api/faces', '/data/users/kit_harington/photo-1.jpg']) {
      expect((await fetch(`${app.server.url}${route}`)).status, route).toBe(401)
    }

    await app.page.goto(`${app.server.url}/people`)
    await app.page.waitForURL(`${app.server.url}/login?redirect=/people`)
    await expect.poll(() => app.page.getByRole('heading', { level: 1 }).textContent()).toBe('Sign in')
    expect(await app.page.getByRole('navigation', { name: 'Main' }).count()).toBe(0)
    expect(await app.page.getByTestId('auth-off').count()).toBe(0)
  })

  it('says when the password is wrong, in an accessible alert, on desktop and on a phone', async () => {
    await expect.poll(() => app.page.getByTestId('login-submit').isEnabled()).toBe(true)
    await signIn('not the password')
    await expect.poll(() => app.page.getByRole('alert').textContent()).toBe('That password is not right')
    expect(await app.page.getByTestId('login-password').getAttribute('aria-invalid')).toBe('true')
    expect(app.page.url()).toBe(`${app.server.url}/login?redirect=/people`)
    // The refused sign-in request is the only failure the console reports.
    expect(app.pageErrors).toEqual(['Failed to load resource: the server responded with a status of 401 (Unauthorized)'])
    app.pageErrors.length = 0
    expect(await seriousA11yViolations(app.page)).toEqual([])
    await app.page.screenshot({ path: path.join(screenshotDir, 'login.png'), fullPage: true })

    await app.page.setViewportSize({ width: 375, height: 740 })
    expect(await horizontalOverflow(app.page)).toBeLessThanOrEqual(0)
    await app.page.screenshot({ path: path.join(screenshotDir, 'login-phone.png'), fullPage: true })
    await app.page.setViewportSize({ width: 1280, height: 800 })
  })

  it('signs the admin in with an HttpOnly, SameSite=Strict cookie; the admin manages people and every page keeps its CSP', async () => {
    await signIn(adminPassword)
    await app.page.waitForURL(`${app.server.url}/people`)
    await expect.poll(() => app.page.getByTestId('session-role').textContent()).toBe('Signed in as admin')
    const [cookie] = await app.browser.context.cookies(app.server.url)
    expect(cookie).toMatchObject({ name: 'facer_session', httpOnly: true, sameSite: 'Strict', secure: false })

    const form = app.page.getByTestId('register-form')
    await form.getByLabel('Name').fill('Grace Hopper')
    await form.getByRole('button', { name: 'Register' }).click()
    await app.page.waitForURL(`${app.server.url}/people/Grace%20Hopper`)
    await expect.poll(() => app.page.getByRole('heading', { level: 1 }).textContent()).toBe('Grace Hopper')

    for (const target of ['nav-people', 'nav-train', 'nav-recognize']) {
      await app.page.getByTestId(target).click()
      await expect.poll(() => app.page.getByTestId(target).getAttribute('aria-current')).toBe('page')
    }
    await expect.poll(() => app.page.getByTestId('models-status').getAttribute('data-status'), { timeout: 60_000 }).toBe('ready')

    // Server-rendered with the session, each with a CSP whose scripts are hashed, never 'unsafe-inline'.
    const headers = { cookie: `${cookie!.name}=${cookie!.value}` }
    for (const route of ['/', '/people', '/people/kit_harington', '/train', '/recognize']) {
      const res = await fetch(`${app.server.url}${route}`, { headers, redirect: 'manual' })
      expect(res.status, route).toBe(200)
      const policy = res.headers.get('content-security-policy') ?? ''
      expect(policy, route).toMatch(/script-src 'self' 'wasm-unsafe-eval' blob: 'sha256-[\w+/=]+'/)
      expect(policy).not.toMatch(/script-src[^;]*unsafe-inline/)
      expect(res.headers.get('cross-origin-embedder-policy')).toBe('require-corp')
      expect(res.headers.get('access-control-allow-origin')).toBeNull()
    }
    const people = await (await fetch(`${app.server.url}/people`, { headers })).text()
    expect(people).toContain('kit_harington')
    expect(await cspViolations()).toEqual([])
    expect(app.pageErrors).toEqual([])
  })

  it('signs out for good: the page goes to sign-in and the old cookie no longer opens the API', async () => {
    const [cookie] = await app.browser.context.cookies(app.server.url)
    const headers = { cookie: `${cookie!.name}=${cookie!.value}` }
    expect((await fetch(`${app.server.url}/api/people`, { headers })).status).toBe(200)

    await app.page.getByTestId('sign-out').click()
    await app.page.waitForURL(`${app.server.url}/login`)
    expect(await app.browser.context.cookies(app.server.url)).toEqual([])
    expect((await fetch(`${app.server.url}/api/people`, { headers })).status).toBe(401)
    expect((await fetch(`${app.server.url}/people`, { headers, redirect: 'manual' })).status).toBe(302)
  })

  it('lets the viewer recognize with the model, but not manage people, train or see photos', async () => {
    const admin = await fetch(`${app.server.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ password: adminPassword }),
    })
    const model = faceModelOf([personModel('kit_harington', [descriptorEntry('photo-1.jpg', 1)])])
    const put = await fetch(`${app.server.url}/api/faces`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', cookie: admin.headers.getSetCookie()[0]!.split(';')[0]! },
      body: JSON.stringify(model),
    })
    expect(put.status).toBe(200)

    await expect.poll(() => app.page.getByTestId('login-submit').isEnabled()).toBe(true)
    await signIn(viewerPassword)
    await app.page.waitForURL(`${app.server.url}/recognize`)
    await expect.poll(() => app.page.getByTestId('session-role').textContent()).toBe('Signed in as viewer')
    await expect.poll(() => app.page.getByTestId('model-loaded').textContent(), { timeout: 60_000 }).toBe('Recognizing 1 person.')
    await expect.poll(() => app.page.getByTestId('models-status').getAttribute('data-status'), { timeout: 60_000 }).toBe('ready')
    expect(await app.page.getByRole('navigation', { name: 'Main' }).getByRole('link').allTextContents()).toEqual(['Recognize'])

    for (const route of ['/people', '/train', '/people/kit_harington', '/']) {
      await app.page.goto(`${app.server.url}${route}`)
      await app.page.waitForURL(`${app.server.url}/recognize`)
    }
    expect(await cspViolations()).toEqual([])
    expect(app.pageErrors).toEqual([])

    const answers = await app.page.evaluate(async () => {
      const json = { 'content-type': 'application/json' }
      const requests: [string, RequestInit][] = [
        ['/api/people', {}],
        ['/api/people', { method: 'POST', headers: json, body: JSON.stringify({ name: 'Mallory' }) }],
        ['/api/people/kit_harington', { method: 'DELETE' }],
        ['/api/faces', { method: 'PUT', headers: json, body: '{}' }],
        ['/api/faces/people/kit_harington', { method: 'DELETE' }],
        ['/data/users/kit_harington/photo-1.jpg', {}],
        ['/api/faces', {}],
      ]
      return Promise.all(requests.map(async ([url, init]) => (await fetch(url, init)).status))
    })
    expect(answers).toEqual([403, 403, 403, 403, 403, 403, 200])
    expect(app.pageErrors).toEqual(answers.slice(0, 6).map(() => 'Failed to load resource: the server responded with a status of 403 (Forbidden)'))
  })
})

describe('with no password set', () => {
  const app = useApp({ browser: false })

  it('serves every page without sign-in, each saying that sign-in is off, and /login leads home', async () => {
    for (const route of ['/', '/people', '/train', '/recognize']) {
      const res = await fetch(`${app.server.url}${route}`, { redirect: 'manual' })
      expect(res.status, route).toBe(200)
      expect(await res.text(), route).toMatch(/data-testid="auth-off"[^>]*>\s*Sign-in is off/)
    }
    const login = await fetch(`${app.server.url}/login`, { redirect: 'manual' })
    expect(login.status).toBe(302)
    expect(login.headers.get('location')).toBe('/')
  })
})
