import type { Reporter, TestModule } from 'vitest/node'

/** Ends the run with one plain line, "tests: N passed, N failed", that any CI can read. */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const counts = { passed: 0, failed: 0, skipped: 0 }
    for (const testModule of testModules) {
      for (const test of testModule.children.allTests()) {
        const state = test.result().state
        if (state === 'passed' || state === 'failed') counts[state]++
        else counts.skipped++
      }
    }
    const skipped = counts.skipped ? `, ${counts.skipped} skipped` : ''
    console.log(`\ntests: ${counts.passed} passed, ${counts.failed} failed${skipped}`)
  }
}
