import { execFileSync } from 'node:child_process'
import path from 'node:path'
import type { Page } from 'playwright-core'
import { addFixturePhotos, repoRoot } from './data.js'

/** One processed frame's decisions, as the Recognize page logs them (window.facerLiveLog). */
export interface LoggedFrame {
  frame: number
  faces: { id: number; name: string | null }[]
}

export const frameLog = (page: Page): Promise<LoggedFrame[]> => page.evaluate(() => (window as unknown as { facerLiveLog?: LoggedFrame[] }).facerLiveLog ?? [])

/** Whether some frame so far named `name`. */
export const someFrameNames = async (page: Page, name: string): Promise<boolean> => (await frameLog(page)).some((frame) => frame.faces.some((face) => face.name === name))

/** Lin-Manuel Miranda (on stage in the fixture clip) and Joe Biden (not in it), trained by the headless trainer. */
export async function trainLinAndBiden(dataDir: string): Promise<void> {
  await addFixturePhotos(dataDir, 'lin_manuel_miranda', ['people/lin_manuel_miranda/lin-manuel-miranda.png'])
  await addFixturePhotos(dataDir, 'joe_biden', ['people/joe_biden/biden2.jpg'])
  execFileSync(process.execPath, [path.join(repoRoot, 'dist/scripts/train.js')], { env: { ...process.env, DATA_DIR: dataDir }, stdio: 'pipe' })
}
