import { assertBuilt } from '../support/server.js'
import { findChromium } from '../support/browser.js'

export default function setup(): void {
  assertBuilt()
  findChromium()
}
