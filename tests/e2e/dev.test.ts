import { spawn } from 'node:child_process'
import { once } from 'node:events'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { useApp } from '../support/app.js'
import { collectPageErrors } from '../support/browser.js'
import { repoRoot } from '../support/data.js'
import { freePort } from '../support/ports.js'
import { fakeCameraVideo } from '../support/video.js'

async function waitForOk(url: string, timeoutMs: number): Promise<Response> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      const res = await fetch(url)
      if (res.ok) return res
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 500))
  }
}

async function isListening(port: number): Promise<boolean> {
  return fetch(`http://127.0.0.1:${port}/`).then(
    () => true,
    () => false,
  )
}

describe('npm run dev', () => {
  // The test starts the dev servers itself.
  const app = useApp({ people: { alex_lacamoire: ['people/alex_lacamoire/alex_lacamoire1.jpg'] }, servers: 0, camera: fakeCameraVideo })

  it('runs the API and nuxt dev together, proxies the API, and stops both on Ctrl-C', async () => {
    const [port, apiPort] = [await freePort(), await freePort()]
    // Its own process group, so that a signal to the group is what Ctrl-C in a terminal sends.
    const dev = spawn(process.execPath, [path.join(repoRoot, 'scripts/dev.mjs')], {
      cwd: repoRoot,
      env: { ...process.env, PORT: String(port), API_PORT: String(apiPort), DATA_DIR: app.data.path },
      detached: true,
      stdio: 'ignore',
    })
    try {
      const health = await waitForOk(`http://127.0.0.1:${apiPort}/api/health`, 60_000)
      expect((await health.json()).status).toBe('ok')
      const proxied = await waitForOk(`http://127.0.0.1:${port}/api/people`, 90_000)
      expect((await proxied.json()).people.map((user: { name: string }) => user.name)).toEqual(['alex_lacamoire'])
      const page = await waitForOk(`http://127.0.0.1:${port}/people`, 90_000)
      // The name as text, whatever marks its break points (<wbr> after an underscore).
      const link = (await page.text()).match(/<a [^>]*href="\/people\/alex_lacamoire"[^>]*>(.*?)<\/a>/)?.[1] ?? ''
      expect(link.replace(/<[^>]*>/g, '')).toBe('alex_lacamoire')

      // Vite serves the scripts here, the live recognition worker's too: it must start on the isolated page.
      const recognize = await app.browser.context.newPage()
      const errors = collectPageErrors(recognize)
      await recognize.goto(`http://127.0.0.1:${port}/recognize`)
      const start = recognize.getByTestId('live-start')
      await expect.poll(() => start.isEnabled(), { timeout: 90_000 }).toBe(true)
      await start.click()
      await expect.poll(() => recognize.getByTestId('stat-engine').getAttribute('data-where')).toBe('worker')
      await expect.poll(async () => Number(await recognize.getByTestId('detections').getAttribute('data-frames')), { timeout: 30_000 }).toBeGreaterThan(3)
      await recognize.close()
      expect(errors).toEqual([])
    } finally {
      process.kill(-dev.pid!, 'SIGINT')
      if (dev.exitCode === null) await once(dev, 'exit')
    }
    expect(dev.exitCode).toBe(0)
    expect(await isListening(port)).toBe(false)
    expect(await isListening(apiPort)).toBe(false)
  })
})
