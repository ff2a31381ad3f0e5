import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)

function packageVersion(name: string): string {
  return (require(`${name}/package.json`) as { version: string }).version
}

// The package version is part of each URL, so the files can be cached forever
// and an upgrade still reaches every browser.
export const modelsUrl = `/models/${packageVersion('@vladmandic/face-api')}/`
export const wasmUrl = `/wasm/${packageVersion('@tensorflow/tfjs-backend-wasm')}/`
