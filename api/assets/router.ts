import path from 'node:path'
import express, { Router } from 'express'
import { HttpError, notFound } from '../errors.js'
import { packageDir } from '../paths.js'
import { modelsUrl, wasmUrl } from './urls.js'

const immutable = { maxAge: '365d', immutable: true, index: false, fallthrough: false } as const

/** Serves the face-api model weights and the TensorFlow.js WASM binaries from their npm packages. */
export function assetsRouter(): Router {
  const router = Router()
  router.use(modelsUrl, express.static(path.join(packageDir('@vladmandic/face-api'), 'model'), immutable))
  // Only the .wasm binaries: the rest of the package's dist folder is not ours to publish.
  router.use(wasmUrl, (req, _res, next) => {
    next(/^\/[\w.-]+\.wasm$/.test(req.path) ? undefined : new HttpError(404, 'not_found', 'No such file'))
  })
  router.use(wasmUrl, express.static(path.join(packageDir('@tensorflow/tfjs-backend-wasm'), 'dist'), immutable))
  router.use(['/models', '/wasm'], notFound)
  return router
}
