import { assertBuilt } from '../support/server.js'
import { findChromium } from '../support/browser.js'
import { ensureProgram } from '../support/system.js'

export default function setup(): void {
  assertBuilt()
  findChromium()
  ensureProgram('ffmpeg', 'ffmpeg', 'The fake camera needs ffmpeg to convert the fixture video')
}
