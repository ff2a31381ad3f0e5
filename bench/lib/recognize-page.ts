// Drives the app's Recognize page and reads what it shows, as a person would see it: the stats and
// the accessible list of detections (`data-frames` counts processed frames). Times are page time
// (performance.now(), from the navigation's start).
import type { Page } from 'playwright-core'
import { quantile, round } from '../../shared/stats.js'

export interface AppFrame {
  frame: number
  atMs: number
  /** The page's own "ms per frame" for this frame. */
  ms: number
  /** The page's FPS: the frames of the last second. */
  fps: number
  /** The page's tensor count (tf.memory().numTensors) after this frame. */
  tensors: number
  names: string[]
}

export interface AppRecording {
  backend: string | null
  /** Where the networks ran: 'worker' or 'page'. */
  engine: string | null
  frames: AppFrame[]
  firstNamed: { atMs: number; frame: number; name: string } | null
}

/** When the page has the detections list (hydrated), start recording every processed frame. */
export async function recordFrames(page: Page, timeoutMs: number): Promise<void> {
  await page.waitForSelector('[data-testid="detections"]', { state: 'attached', timeout: timeoutMs })
  // Runs in the page: no named inner functions, which tsx would wrap in a helper the page does not have.
  await page.evaluate(() => {
    const recording: AppRecording = { backend: null, engine: null, frames: [], firstNamed: null }
    ;(window as unknown as { facerBench: AppRecording }).facerBench = recording
    const list = document.querySelector('[data-testid="detections"]')!
    new MutationObserver(() => {
      const frame = Number(list.getAttribute('data-frames'))
      if (!frame || recording.frames.at(-1)?.frame === frame) return
      const atMs = performance.now()
      const names = Array.from(list.querySelectorAll('[data-testid="detection"]'), (item) => item.getAttribute('data-name') ?? 'unknown')
      recording.backend = document.querySelector('[data-testid="stat-backend"]')?.textContent?.trim() ?? null
      recording.engine = document.querySelector('[data-testid="stat-engine"]')?.getAttribute('data-where') ?? null
      const [ms, fps, tensors] = ['stat-ms', 'stat-fps', 'stat-tensors'].map((id) => Number(document.querySelector(`[data-testid="${id}"]`)?.textContent))
      recording.frames.push({ frame, atMs, ms: ms!, fps: fps!, tensors: tensors!, names })
      const named = names.find((name) => name !== 'unknown')
      if (named && !recording.firstNamed) recording.firstNamed = { atMs, frame, name: named }
    }).observe(list, { attributes: true, attributeFilter: ['data-frames'] })
  })
}

/** Waits until Start is enabled (models loaded and warmed up); resolves with that page time. */
export async function waitUntilReady(page: Page, timeoutMs: number): Promise<number> {
  await page.waitForFunction(
    () => {
      const button = document.querySelector('[data-testid="live-start"]')
      return button instanceof HTMLButtonElement && !button.disabled
    },
    undefined,
    { timeout: timeoutMs, polling: 10 },
  )
  return page.evaluate(() => performance.now())
}

/** Sets the desired-FPS slider (the loop's frame budget) and starts the camera; resolves with the page time of the click. */
export async function startCamera(page: Page, desiredFps: number): Promise<number> {
  await page.evaluate((fps) => {
    const slider = document.querySelector<HTMLInputElement>('#desired-fps')!
    slider.value = String(fps)
    slider.dispatchEvent(new Event('input', { bubbles: true }))
  }, desiredFps)
  const clickedAt = await page.evaluate(() => performance.now())
  await page.getByTestId('live-start').click()
  return clickedAt
}

export function readRecording(page: Page): Promise<AppRecording> {
  return page.evaluate(() => (window as unknown as { facerBench: AppRecording }).facerBench)
}

export async function stopCamera(page: Page): Promise<void> {
  await page.getByTestId('live-stop').click({ timeout: 5_000 }).catch(() => undefined)
}

export interface MainThreadFigures {
  /** Gaps between the page's animation frames, in ms: about 16.7 when it paints every frame. */
  paintGapMedianMs: number | null
  paintGapP90Ms: number | null
  paintGapMaxMs: number | null
  /** Milliseconds of long tasks (over 50 ms) on the page's thread per second. */
  longTaskMsPerSecond: number | null
}

/** Starts watching how free the page's own thread is: its animation frames and its long tasks. */
export async function watchMainThread(page: Page): Promise<void> {
  // A string: tsx would wrap the named callback of a function in a helper the page does not have.
  await page.evaluate(`(() => {
    const watch = { paints: [], longTasks: [] }
    window.facerMainThread = watch
    const paint = (time) => {
      watch.paints.push(time)
      requestAnimationFrame(paint)
    }
    requestAnimationFrame(paint)
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) watch.longTasks.push({ start: entry.startTime, duration: entry.duration })
    }).observe({ type: 'longtask' })
  })()`)
}

/** What watchMainThread saw between two page times. */
export async function readMainThread(page: Page, fromMs: number, toMs: number): Promise<MainThreadFigures> {
  const watch = await page.evaluate(() => (window as unknown as { facerMainThread: { paints: number[]; longTasks: { start: number; duration: number }[] } }).facerMainThread)
  const paints = watch.paints.filter((time) => time >= fromMs && time <= toMs)
  const gaps = paints.slice(1).map((time, index) => time - paints[index]!)
  const longTaskMs = watch.longTasks.filter((task) => task.start >= fromMs && task.start <= toMs).reduce((sum, task) => sum + task.duration, 0)
  return {
    paintGapMedianMs: round(quantile(gaps, 0.5)),
    paintGapP90Ms: round(quantile(gaps, 0.9)),
    paintGapMaxMs: round(quantile(gaps, 1)),
    longTaskMsPerSecond: toMs > fromMs ? Math.round((longTaskMs / (toMs - fromMs)) * 1000) : null,
  }
}
