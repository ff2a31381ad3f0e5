// The matching workload in the browser: bundled with esbuild by bench/match.ts and run in Chromium.
// face-api's browser build is loaded only after ours is timed, as in Node.
import { combine, makeCases, timeFaceMatcher, timeMatchDescriptor, type FaceMatcherApi, type MatchResult } from './workload.js'

function loadScript(src: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const script = document.createElement('script')
    script.src = src
    script.onload = () => resolve()
    script.onerror = () => reject(new Error(`${src} did not load`))
    document.head.append(script)
  })
}

async function runMatchBench(): Promise<MatchResult[]> {
  const cases = makeCases()
  const ours = timeMatchDescriptor(cases)
  await loadScript('/face-api.js')
  const theirs = timeFaceMatcher((window as unknown as { faceapi: FaceMatcherApi }).faceapi, cases)
  return combine(cases, ours, theirs)
}

;(window as unknown as { runMatchBench: typeof runMatchBench }).runMatchBench = runMatchBench
