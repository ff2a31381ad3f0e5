import { beforeAll, describe, expect, it } from 'vitest'
import { nodeFaceRuntime } from '../../api/faces/node-runtime.js'
import type { FaceRuntime } from './enroll.js'
import type { LiveOps } from './live.js'
import { faceApiLiveOps, warmUpLiveOps } from './live-ops.js'

// The warm-up before live video's first frame, with the real networks (WASM, in Node).
describe('warmUpLiveOps', () => {
  let runtime: FaceRuntime

  beforeAll(async () => {
    runtime = await nodeFaceRuntime()
  })

  it('runs every operation of a live frame once, the landmark and descriptor networks included, and leaves no tensor behind', async () => {
    const ops = faceApiLiveOps(runtime)
    const calls: string[] = []
    const results: Record<string, unknown> = {}
    const counted = Object.fromEntries(
      Object.entries(ops).map(([name, op]) => [
        name,
        async (...args: unknown[]) => {
          calls.push(name)
          results[name] = await (op as (...args: unknown[]) => Promise<unknown>)(...args)
          return results[name]
        },
      ]),
    ) as unknown as LiveOps<Parameters<typeof ops.detect>[0]>
    const tensors = runtime.tf.memory().numTensors
    await warmUpLiveOps(runtime, counted)
    expect(calls.sort()).toEqual(['appearance', 'describe', 'detect', 'fit', 'frameSignature'])
    // A blank frame: no face found, but the landmarks were fitted and a descriptor computed.
    expect(results.detect).toEqual([])
    expect(results.fit).toEqual([expect.objectContaining({ landmarks: expect.any(Array) })])
    expect((results.fit as { landmarks: unknown[] }[])[0]!.landmarks).toHaveLength(68)
    expect(results.describe).toEqual([expect.any(Float32Array)])
    expect((results.describe as Float32Array[])[0]).toHaveLength(128)
    expect(runtime.tf.memory().numTensors).toBe(tensors)
  })
})
