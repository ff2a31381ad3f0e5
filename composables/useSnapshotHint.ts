import { meanBrightness, snapshotHint, type SnapshotHint } from '~/shared/face/snapshot-hint'

// Small and quick: the hint needs a face's size, not its landmarks, and runs beside the preview.
const detectorInput = 224
const hintEveryMs = 300
const sample = { width: 64, height: 36 }

/**
 * A hint from the loaded networks on what the camera sees ("face found", "move closer", "too dark",
 * "one person only"), refreshed while `active` is true; null until the first frame is read.
 */
export function useSnapshotHint(video: Ref<HTMLVideoElement | null>, active: Ref<boolean>) {
  const { load } = useFaceModels()
  const hint = ref<SnapshotHint | null>(null)
  const loading = ref(false)
  let running = false
  let stopped = false

  async function loop() {
    loading.value = true
    const runtime = await load().catch(() => null)
    loading.value = false
    // A failure to load is shown by the store's models status; the camera still takes photos without hints.
    if (!runtime) return
    const options = new runtime.faceapi.TinyFaceDetectorOptions({ inputSize: detectorInput, scoreThreshold: 0.5 })
    const canvas = document.createElement('canvas')
    canvas.width = sample.width
    canvas.height = sample.height
    const context = canvas.getContext('2d', { willReadFrequently: true })!
    while (active.value && !stopped) {
      const started = performance.now()
      const element = video.value
      if (element && element.readyState >= 2 && element.videoWidth) {
        const faces = await runtime.faceapi.detectAllFaces(element, options)
        const brightnessOf = (x: number, y: number, width: number, height: number) => {
          context.drawImage(element, x, y, width, height, 0, 0, sample.width, sample.height)
          return meanBrightness(context.getImageData(0, 0, sample.width, sample.height).data)
        }
        const brightness = brightnessOf(0, 0, element.videoWidth, element.videoHeight)
        if (!active.value) break
        hint.value = snapshotHint(
          faces.map(({ box }) => ({ width: box.width, brightness: brightnessOf(box.x, box.y, box.width, box.height) })),
          { width: element.videoWidth, brightness },
        )
      }
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, hintEveryMs - (performance.now() - started))))
    }
    hint.value = null
  }

  function start() {
    if (!active.value || running || stopped) return
    running = true
    void loop().finally(() => {
      running = false
      // Switched off and on again while the last frame was read: go on.
      start()
    })
  }

  watch(active, start, { immediate: true })
  onBeforeUnmount(() => {
    stopped = true
  })

  return { hint, loading }
}
