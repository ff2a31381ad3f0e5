// Messages between the Recognize page and its live recognition worker, and between that worker and the
// helper (the second worker, for the detections and descriptors that can wait). The recognition worker
// handles one request at a time, in order; `frame` is answered by `frame` or `error`, `init` by `ready`
// or `failed`.
import type { FaceNetName } from '~/browser/face-runtime'
import type { Box } from '~/shared/face/model'
import type { LiveFrame, LiveGallery, LiveSettings } from './recognizer'

export type WorkerRequest =
  | { type: 'init'; modelsUrl: string; wasmUrl: string; backends: string[]; nets: FaceNetName[] }
  /** The canvas the worker draws on, from `transferControlToOffscreen`. */
  | { type: 'canvas'; canvas: OffscreenCanvas }
  | { type: 'gallery'; gallery: LiveGallery | null }
  | { type: 'frame'; bitmap: ImageBitmap; settings: LiveSettings }
  /** Forget the tracks and clear the canvas: the camera stopped or changed. */
  | { type: 'reset' }
  /** The helper's end of a channel: it says `ready` there once it can take work. */
  | { type: 'helper'; port: MessagePort }

export type WorkerReply =
  | { type: 'progress'; loaded: number; total: number }
  | { type: 'ready'; backend: string }
  | { type: 'failed'; message: string }
  | { type: 'frame'; frame: LiveFrame }
  | { type: 'error'; message: string }

/** The page starts the helper with this; it answers on `port`, the channel to the recognition worker. */
export interface HelperInit {
  type: 'init'
  modelsUrl: string
  wasmUrl: string
  backends: string[]
  port: MessagePort
}

/** A face as the helper gets it: the RGBA pixels of its aligned box (LiveOps' clipToImage of alignedBox). */
export interface FaceCrop {
  width: number
  height: number
  pixels: Uint8ClampedArray<ArrayBuffer>
}

/** From the recognition worker to the helper: faces to describe (null where one was off the image), or a frame to detect faces in. */
export type HelperRequest =
  | { type: 'describe'; id: number; faces: (FaceCrop | null)[] }
  | { type: 'detect'; id: number; width: number; height: number; pixels: Uint8ClampedArray<ArrayBuffer> }

export type HelperReply =
  | { type: 'ready' }
  | { type: 'failed'; message: string }
  | { type: 'described'; id: number; descriptors: (Float32Array | null)[] }
  | { type: 'detected'; id: number; boxes: Box[] }
  | { type: 'error'; id: number; message: string }
