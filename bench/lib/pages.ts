// A small static server for the benchmarks' own pages (the bare face-api loop, the matching page):
// each route is a file on disk or text built by the bench, nothing else is served.
import { readFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import * as esbuild from 'esbuild'
import { packageDir } from '../../api/paths.js'

export type Route = { file: string } | { text: string; type: string }

export interface BenchPages {
  url: string
  close(): Promise<void>
}

const types: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.bin': 'application/octet-stream',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
}

// Cross-origin isolation gives the page performance.now() to 5 µs instead of 100 µs, which the
// shortest timings (a match against 1,000 descriptors) need.
const isolation = { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' }

export async function serveBenchPages(routes: Record<string, Route>, options: { isolated?: boolean } = {}): Promise<BenchPages> {
  const server = createServer(async (req, res) => {
    const pathname = new URL(req.url ?? '/', 'http://localhost').pathname
    const route = routes[pathname]
    if (!route) {
      // No favicon: an empty answer rather than a 404 in the page's console errors.
      res.writeHead(pathname === '/favicon.ico' ? 204 : 404).end()
      return
    }
    try {
      const body = 'file' in route ? await readFile(route.file) : route.text
      const type = 'file' in route ? (types[path.extname(route.file)] ?? 'application/octet-stream') : route.type
      res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store', ...(options.isolated ? isolation : {}) }).end(body)
    } catch (err) {
      res.writeHead(500).end(String(err))
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve, reject) => server.close((err) => (err ? reject(err) : resolve()))),
  }
}

/** face-api's browser build (TensorFlow.js included), its models and the WASM binaries, as routes. */
export function faceApiRoutes(): Record<string, Route> {
  const faceApi = packageDir('@vladmandic/face-api')
  const wasm = path.join(packageDir('@tensorflow/tfjs-backend-wasm'), 'dist')
  const models = ['tiny_face_detector', 'ssd_mobilenetv1', 'face_landmark_68', 'face_recognition'].flatMap((model) => [
    `${model}_model-weights_manifest.json`,
    `${model}_model.bin`,
  ])
  return {
    '/face-api.js': { file: path.join(faceApi, 'dist/face-api.js') },
    ...Object.fromEntries(models.map((file) => [`/models/${file}`, { file: path.join(faceApi, 'model', file) }])),
    ...Object.fromEntries(
      ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'].map((file) => [`/wasm/${file}`, { file: path.join(wasm, file) }]),
    ),
  }
}

/** One TypeScript entry bundled for the browser as a script that runs on load. */
export async function bundleForPage(entry: string): Promise<string> {
  const built = await esbuild.build({ entryPoints: [entry], bundle: true, format: 'iife', target: 'es2022', write: false, minify: false, logLevel: 'error' })
  return built.outputFiles[0]!.text
}
