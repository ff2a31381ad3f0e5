// Messages between the Recognize page and its live recognition worker, and between that worker and the
// describer (the second worker, for descriptors that can wait). The recognition worker handles one
// request at a time, in order; `frame` is answered by `frame` or `error`, `init` by `ready` or `failed`.
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
  /** The describer's end of a channel: it says `ready` there once it can take faces. */
  | { type: 'describer'; port: MessagePort }

export type WorkerReply =
  | { type: 'progress'; loaded: number; total: number }
  | { type: 'ready'; backend: string }
  | { type: 'failed'; message: string }
  | { type: 'frame'; frame: LiveFrame }
  | { type: 'error'; message: string }

/** The page starts the describer with this; it answers on `port`, the channel to the recognition worker. */
export interface DescriberInit {
  type: 'init'
  modelsUrl: string
  wasmUrl: string
  backends: string[]
  port: MessagePort
}

/** A face as the describer gets it: the RGBA pixels of its aligned box (LiveOps' clipToImage of alignedBox). */
export interface FaceCrop {
  width: number
  height: number
  pixels: Uint8ClampedArray<ArrayBuffer>
}

/** From the recognition worker to the describer: a batch, null where a face was off the image. */
export interface DescribeRequest {
  id: number
  faces: (FaceCrop | null)[]
}

export type DescriberReply =
  | { type: 'ready' }
  | { type: 'failed'; message: string }
  | { type: 'described'; id: number; descriptors: (Float32Array | null)[] }
  | { type: 'error'; id: number; message: string }
