// One frame of live recognition, the same in the recognition worker and, where no worker can run, in
// the page: LiveTracker (detect now and then, track with landmarks in between, name each face from its
// own descriptors), then the frame itself and its faces drawn together, so that every box belongs to
// the picture it is drawn on.
import type * as TensorFlow from '@tensorflow/tfjs'
import { drawFaces, type DrawingSurface, type DrawOptions } from '~/browser/drawing'
import type { FaceRuntime } from '~/shared/face/enroll'
import { LiveTracker, type DescriptorsLater, type FaceFit, type LiveFace as TrackedLiveFace, type LiveTimings } from '~/shared/face/live'
import { alignedFaceCrops, describeFaceCrops, faceApiLiveOps } from '~/shared/face/live-ops'
import type { DecisionRule, Gallery } from '~/shared/face/match'
import { serverFaceNamer } from '../server-naming'
import type { Box } from '~/shared/face/model'
import type { HelperClient } from './helper-client'

/** What live video names faces against: a gallery in the browser, or 'server' (MATCH_ON_SERVER: the server holds it). */
export type LiveGallery = Gallery | 'server'

export interface LiveSettings {
  rule: DecisionRule
  recognition: boolean
  landmarks: boolean
  expressions: boolean
  draw: DrawOptions
}

export interface LiveFace {
  /** The tracker's id: the same face keeps it from frame to frame. */
  id: number
  name: string | null
  distance: number | null
}

export interface LiveFrame {
  faces: LiveFace[]
  /** Faces that got a new descriptor this frame… */
  described: number
  /** …of which this many were computed by the helper, from an earlier frame, and this many after the frame before. */
  describedElsewhere: number
  describedAfterFrame: number
  /** Whether the full detector ran, and whether this frame began a new scene (a cut). */
  detected: boolean
  /** Whether the frame went to the helper to be detected, and whether an earlier frame's boxes came back from it. */
  detectionSent: boolean
  detectionArrived: boolean
  cut: boolean
  /** TensorFlow.js tensors alive after the frame, but for the faces it leaves for after it: flat over time, or something leaks. */
  tensors: number
  /**
   * Milliseconds in each of the tracker's operations, and in reading and drawing the frame; `elsewhere`
   * is the helper's longest round trip (sending to answer) of the requests answered since the last frame, 0 for none.
   */
  timings: LiveTimings & { read: number; draw: number; total: number; elsewhere: number }
}

/** What a frame comes from: a bitmap of the video, and in the worker its pixels, read once. */
export interface FrameSource {
  bitmap: ImageBitmap
  pixels?: ImageData
}

function topExpression(expressions: Record<string, number>): string | null {
  return Object.entries(expressions).sort((a, b) => b[1] - a[1])[0]?.[0] ?? null
}

export class LiveRecognizer {
  gallery: LiveGallery | null = null
  /** The second worker, for the detections and descriptors that can wait: in the recognition worker once it is started. */
  helper: HelperClient | null = null
  readonly #tracker: LiveTracker<TensorFlow.Tensor3D>
  #expressionNet: Promise<unknown> | null = null
  /** The pixels of the frame being processed, where they were read (in the worker): what the helper gets comes from them. */
  #pixels: ImageData | null = null
  /** Faces cut from the frame just processed, to describe once its answer has gone (`afterFrame`). */
  #afterFrame: { crops: (TensorFlow.Tensor3D | null)[]; resolve: (descriptors: (Float32Array | null)[]) => void; reject: (err: Error) => void }[] = []

  constructor(
    private readonly runtime: FaceRuntime,
    /** Where the expression network loads from, once Expressions is switched on. */
    private readonly modelsUrl: string,
    /**
     * Whether whoever runs the frames calls `afterFrame` once each frame's answer has gone (the recognition
     * worker): the votes of young and unknown faces are then computed there, off the frame's time.
     */
    describesAfterFrame = false,
  ) {
    this.#tracker = new LiveTracker({
      ...faceApiLiveOps(runtime),
      describeAfterFrame: describesAfterFrame ? (image, fits) => this.#describeAfterFrame(image, fits) : undefined,
      describeElsewhere: (_, fits) => (this.#pixels && this.helper ? this.helper.describe(this.#pixels, fits) : null),
      detectElsewhere: () => (this.#pixels && this.helper ? this.helper.detect(this.#pixels) : null),
    })
  }

  /** A new camera or a new start: nothing carries over from the frames before. */
  reset(): void {
    this.#tracker.reset()
  }

  /**
   * The descriptors of the faces the last frame left for after it: run once its answer has gone, before
   * the next frame, which takes them.
   */
  async afterFrame(): Promise<void> {
    const batches = this.#afterFrame
    this.#afterFrame = []
    for (const { crops, resolve, reject } of batches) {
      await describeFaceCrops(this.runtime, crops).then(resolve, reject)
    }
  }

  async process(source: FrameSource, canvas: DrawingSurface, settings: LiveSettings): Promise<LiveFrame> {
    const { bitmap } = source
    // The canvas takes the frame's real size; CSS scales it with the video.
    if (canvas.width !== bitmap.width || canvas.height !== bitmap.height) {
      canvas.width = bitmap.width
      canvas.height = bitmap.height
    }
    const started = performance.now()
    const { tf } = this.runtime
    const image = tf.browser.fromPixels(source.pixels ?? bitmap)
    const read = performance.now() - started
    let step
    let expressions: (string | null)[] = []
    this.#pixels = source.pixels ?? null
    try {
      step = await this.#tracker.step(image, performance.now(), settings.recognition ? this.#matching() : null, settings.rule)
      if (settings.expressions && step.faces.length) expressions = await this.#expressions(image, step.faces.map((face) => face.box))
    } finally {
      this.#pixels = null
      image.dispose()
    }
    const drawing = performance.now()
    drawFaces(
      canvas,
      step.faces.map((face: TrackedLiveFace, index) => ({
        box: face.box,
        name: face.name,
        distance: face.distance,
        landmarks: face.landmarks,
        expression: expressions[index] ?? null,
      })),
      { ...settings.draw, names: settings.recognition },
      bitmap,
    )
    const draw = performance.now() - drawing
    return {
      faces: step.faces.map(({ id, name, distance }) => ({ id, name, distance })),
      described: step.faces.filter((face) => face.described).length,
      describedElsewhere: step.describedElsewhere,
      describedAfterFrame: step.describedAfterFrame,
      detected: step.detected,
      detectionSent: step.detectionSent,
      detectionArrived: step.detectionArrived,
      cut: step.cut,
      tensors: tf.memory().numTensors - this.#afterFrame.reduce((count, { crops }) => count + crops.filter((crop) => crop !== null).length, 0),
      timings: { ...step.timings, read, draw, total: performance.now() - started, elsewhere: Math.max(0, ...(this.helper?.takeRoundTrips() ?? [])) },
    }
  }

  #describeAfterFrame(image: TensorFlow.Tensor3D, fits: readonly FaceFit[]): Promise<DescriptorsLater> {
    const crops = alignedFaceCrops(this.runtime, image, fits)
    const descriptors = new Promise<(Float32Array | null)[]>((resolve, reject) => this.#afterFrame.push({ crops, resolve, reject }))
    return Promise.resolve({ descriptors })
  }

  #matching() {
    return this.gallery === 'server' ? serverFaceNamer : this.gallery
  }

  /** Each face's strongest expression; the expression network loads on the first call. */
  async #expressions(image: TensorFlow.Tensor3D, boxes: Box[]): Promise<(string | null)[]> {
    const { faceapi, tf } = this.runtime
    this.#expressionNet ??= faceapi.nets.faceExpressionNet.isLoaded ? Promise.resolve() : faceapi.nets.faceExpressionNet.loadFromUri(this.modelsUrl)
    await this.#expressionNet
    const [height, width] = image.shape
    const crops = tf.tidy(() =>
      boxes.map((box) => {
        const x = Math.max(0, Math.floor(box.x))
        const y = Math.max(0, Math.floor(box.y))
        const w = Math.max(1, Math.min(width - x, Math.floor(box.width)))
        const h = Math.max(1, Math.min(height - y, Math.floor(box.height)))
        return tf.slice3d(image, [y, x, 0], [h, w, 3])
      }),
    )
    try {
      const predicted = await faceapi.nets.faceExpressionNet.predictExpressions(crops as unknown as Parameters<typeof faceapi.nets.faceExpressionNet.predictExpressions>[0])
      const each = Array.isArray(predicted) ? predicted : [predicted]
      return each.map((expressions) => topExpression(expressions as unknown as Record<string, number>))
    } finally {
      for (const crop of crops) crop.dispose()
    }
  }
}
