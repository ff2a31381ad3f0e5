// One frame of live recognition, the same in the recognition worker and, where no worker can run, in
// the page: detect, describe only the faces that moved, match, let the tracker vote, draw.
import { drawFaces, type DrawingSurface, type DrawOptions } from '~/composables/recognition'
import type { FaceRuntime } from '~/shared/face/enrol'
import type { DecisionRule, Gallery } from '~/shared/face/match'
import { recognizeFaces } from '~/shared/face/recognize'
import { FaceTracker, oneFacePerName } from '~/shared/face/tracking'

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
  /** Faces that got a new descriptor this frame, and faces that kept their decision. */
  described: number
  reused: number
  /** TensorFlow.js tensors alive after the frame: flat over time, or something leaks. */
  tensors: number
}

/** What a frame comes from: the video itself in the page, its pixels in the worker. */
export type FrameSource = HTMLVideoElement | ImageData

export class LiveRecognizer {
  gallery: Gallery | null = null
  private tracker = new FaceTracker()

  constructor(private readonly runtime: FaceRuntime) {}

  /** A new camera or a new start: nothing carries over from the frames before. */
  reset(): void {
    this.tracker = new FaceTracker()
  }

  async process(source: FrameSource, size: { width: number; height: number }, canvas: DrawingSurface, settings: LiveSettings): Promise<LiveFrame> {
    // The canvas takes the frame's real size; CSS scales it with the video.
    if (canvas.width !== size.width || canvas.height !== size.height) {
      canvas.width = size.width
      canvas.height = size.height
    }
    const image = this.runtime.tf.browser.fromPixels(source)
    let found
    try {
      // A tracked face that has barely moved keeps its decision for a few frames: no new descriptor.
      found = await recognizeFaces(
        this.runtime,
        image,
        this.gallery,
        settings.rule,
        { detector: 'tiny_face_detector', recognition: settings.recognition, landmarks: settings.landmarks, expressions: settings.expressions },
        (box) => this.tracker.needsDescriptor(box),
      )
    } finally {
      image.dispose()
    }
    const detections = found.map((face) => ({ box: face.box, decision: face.described ? face.decision : null }))
    const tracks = oneFacePerName(this.tracker.update(detections, performance.now()))
    // The tracker answers in the order of the detections: the landmarks and expression go with them.
    drawFaces(
      canvas,
      tracks.map((track, index) => {
        const face = found[index]
        const name = settings.recognition ? track.name : null
        return { box: track.box, name, distance: track.distance, landmarks: face?.landmarks ?? null, expression: face?.expression ?? null }
      }),
      { ...settings.draw, names: settings.recognition },
    )
    const described = found.filter((face) => face.described).length
    return {
      faces: tracks.map(({ id, name, distance }) => ({ id, name, distance })),
      described,
      reused: found.length - described,
      tensors: this.runtime.tf.memory().numTensors,
    }
  }
}
