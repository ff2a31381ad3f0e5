// What every benchmark records beside its figures: the machine, and how busy it was when the run
// started and ended. On a shared machine a busy run is slower for reasons that are not the app's.
import { execFileSync } from 'node:child_process'
import os from 'node:os'
import { findChromium } from '../../tests/support/browser.js'

export interface Machine {
  cpu: string | null
  cores: number
  memoryGiB: number
  platform: string
  node: string
  chromium: string | null
  /** `uptime`'s 1, 5 and 15 minute load averages when the run started and when it ended. */
  load: { start: number[]; end: number[] | null }
  /** Whether the 1-minute load average at the start was below `busyLoadPerCore` per core. */
  quiet: boolean
}

/** Other processes using more than a quarter of the cores make a run "not quiet". */
const busyLoadPerCore = 0.25

const loadAverage = () => os.loadavg().map((value) => Math.round(value * 100) / 100)

function chromiumVersion(): string | null {
  try {
    // Debian's wrapper script prints shell noise on stderr: only stdout is the version.
    return execFileSync(findChromium(), ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
  } catch {
    return null
  }
}

/** Call when a run starts; `finish()` when it ends, for the load average then. */
export function recordMachine(): { machine: Machine; finish(): Machine } {
  const start = loadAverage()
  const cores = os.cpus().length
  const machine: Machine = {
    cpu: os.cpus()[0]?.model ?? null,
    cores,
    memoryGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    chromium: chromiumVersion(),
    load: { start, end: null },
    quiet: start[0]! < busyLoadPerCore * cores,
  }
  return {
    machine,
    finish() {
      machine.load.end = loadAverage()
      return machine
    },
  }
}

export function describeMachine(machine: Machine): string {
  const quiet = machine.quiet ? 'quiet' : 'NOT quiet: other work was running'
  return (
    `${machine.cpu ?? 'unknown CPU'}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}, ` +
    `${machine.chromium ?? 'no Chromium'}; load ${machine.load.start.join(' ')} at start` +
    `${machine.load.end ? `, ${machine.load.end.join(' ')} at end` : ''} (${quiet})`
  )
}
