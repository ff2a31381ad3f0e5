// Messages between the Recognize page and its live recognition worker. One request is handled at a
// time, in order; `frame` is answered by `frame` or `error`, `init` by `ready` or `failed`.
import type { FaceNetName } from '~/browser/face-runtime'
import type { LiveFrame, LiveGallery, LiveSettings } from './recognizer'

export type WorkerRequest =
  | { type: 'init'; modelsUrl: string; wasmUrl: string; backends: string[]; nets: FaceNetName[] }
  /** The canvas the worker draws on, from `transferControlToOffscreen`. */
  | { type: 'canvas'; canvas: OffscreenCanvas }
  | { type: 'gallery'; gallery: LiveGallery | null }
  | { type: 'frame'; bitmap: ImageBitmap; settings: LiveSettings }
  /** Forget the tracks and clear the canvas: the camera stopped or changed. */
  | { type: 'reset' }

export type WorkerReply =
  | { type: 'progress'; loaded: number; total: number }
  | { type: 'ready'; backend: string }
  | { type: 'failed'; message: string }
  | { type: 'frame'; frame: LiveFrame }
  | { type: 'error'; message: string }
