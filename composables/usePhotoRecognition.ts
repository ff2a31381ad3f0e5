import type { FaceRuntime } from '~/shared/face/enroll'
import type { Matching } from '~/shared/face/assign'
import type { DecisionRule } from '~/shared/face/match'
import { recognizeFaces } from '~/shared/face/recognize'
import { drawRecognizedPhoto } from '~/browser/drawing'
import { pictureCanvas } from '~/browser/picture'

export interface PhotoRecognitionSource {
  /** The page's face-api runtime, loaded on the first photo; null when it could not load. */
  loadRuntime: () => Promise<FaceRuntime | null>
  /** The gallery, or the server's namer (MATCH_ON_SERVER). */
  gallery: () => Matching | null
  rule: () => DecisionRule
}

/** A face found in the photo, in the order of the numbers drawn on it. */
export interface PhotoFace {
  name: string | null
  distance: number | null
}

// Large photos are scaled down first: detection gains nothing above this and the canvas stays light.
const maxSide = 1280

/**
 * Recognition of one photo the person picked: decoded, recognized with the page's gallery and drawn on
 * `canvas` with its faces numbered, beside the list `faces`. `state` says where it stands; `message` why
 * nothing was found, or what went wrong, in words.
 */
export function usePhotoRecognition(canvas: Ref<HTMLCanvasElement | null>, source: PhotoRecognitionSource) {
  const faces = ref<PhotoFace[]>([])
  const state = ref<'idle' | 'working' | 'done' | 'error'>('idle')
  const message = ref<string | null>(null)

  async function recognize(file: File) {
    const target = canvas.value
    if (!target) return
    // The last photo's names and picture go at once: they must never sit beside another photo's result.
    state.value = 'working'
    message.value = null
    faces.value = []
    target.getContext('2d')?.clearRect(0, 0, target.width, target.height)
    try {
      const runtime = await source.loadRuntime()
      if (!runtime) throw new Error('The face models could not be loaded, so the photo cannot be read')
      const picture = await pictureCanvas(file, maxSide).catch(() => {
        throw new Error(`${file.name} is not an image this browser can read`)
      })
      const image = runtime.tf.browser.fromPixels(picture)
      let found
      try {
        found = await recognizeFaces(runtime, image, source.gallery(), source.rule(), {
          detector: 'ssd_mobilenetv1',
          recognition: true,
          landmarks: false,
          expressions: false,
        })
      } finally {
        image.dispose()
      }
      faces.value = drawRecognizedPhoto(target, picture, found).map(({ name, distance }) => ({ name, distance }))
      state.value = 'done'
      message.value = found.length ? null : 'No face was found in this photo.'
    } catch (err) {
      state.value = 'error'
      message.value = (err as Error).message
    }
  }

  return { faces: readonly(faces), state: readonly(state), message: readonly(message), recognize }
}
