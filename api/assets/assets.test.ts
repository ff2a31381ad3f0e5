import { describe, expect, it } from 'vitest'
import { useTestApi } from '../../tests/support/api.js'
import { modelsUrl, wasmUrl } from './urls.js'

describe('model and WASM files', () => {
  const api = useTestApi()

  it('puts the package versions in the URLs', () => {
    expect(modelsUrl).toMatch(/^\/models\/\d+\.\d+\.\d+\/$/)
    expect(wasmUrl).toMatch(/^\/wasm\/\d+\.\d+\.\d+\/$/)
  })

  it('serves face-api manifests and weights from the package, cached for a year', async () => {
    for (const file of ['tiny_face_detector_model-weights_manifest.json', 'face_recognition_model.bin']) {
      const res = await fetch(`${api.url}${modelsUrl}${file}`)
      expect(res.status, file).toBe(200)
      expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable')
      expect((await res.arrayBuffer()).byteLength).toBeGreaterThan(1000)
    }
  })

  it('serves the WASM binaries as application/wasm', async () => {
    const res = await fetch(`${api.url}${wasmUrl}tfjs-backend-wasm-simd.wasm`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('application/wasm')
    const bytes = new Uint8Array(await res.arrayBuffer())
    expect([...bytes.subarray(0, 4)]).toEqual([0x00, 0x61, 0x73, 0x6d])
  })

  it.each([
    `${wasmUrl}index.js`,
    `${wasmUrl}..%2fpackage.json`,
    `${modelsUrl}..%2f..%2fpackage.json`,
    `${modelsUrl}missing.bin`,
    '/models/0.0.1/face_recognition_model.bin',
  ])('answers %s with a JSON 404', async (path) => {
    const res = await fetch(`${api.url}${path}`)
    expect(res.status).toBe(404)
    expect((await res.json()).error.code).toBe('not_found')
  })
})
