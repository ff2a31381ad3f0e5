// Live recognition's effects: the camera, the engine (a worker, or the page where none can run), the loop
// with one frame in flight, its readouts and the frame log the end-to-end tests read. RecognitionLive.vue
// renders what this answers.
import type { Ref } from 'vue'
import type { DrawOptions } from '~/browser/drawing'
import { watchFrames, type FrameWatch } from '~/browser/video-frames'
import { backendOrder, savedBackendChoice } from '~/browser/face-backend'
import { canRunInWorker, createPageEngine, startWorkerEngine, type LiveEngine } from '~/browser/live/engine'
import type { LiveFace, LiveFrame, LiveGallery, LiveSettings } from '~/browser/live/recognizer'
import type { FaceRuntime } from '~/shared/face/enroll'
import type { DecisionRule } from '~/shared/face/match'
import { useAppStore } from '~/store'

export interface LiveSource {
  /** The page's runtime, warmed up, once live video is to run in the page; null otherwise. */
  runtime: () => FaceRuntime | null
  /** 'server': the server names the faces, and the page holds no gallery. */
  gallery: () => LiveGallery | null
  rule: () => DecisionRule
  /** Where live recognition will run, once known; 'failed': the worker could not start, the page will run it. */
  onEngine: (where: 'worker' | 'page' | 'failed') => void
}

/** One processed frame's decisions, as shown. */
interface LoggedFrame {
  frame: number
  /** The camera frame read, in the video's count of frames shown (null where the browser does not tell): a gap is a frame not read. */
  cameraFrame: number | null
  at: number
  /** The whole frame as the page saw it, from asking to drawing, and the worker's share by operation. */
  ms: number
  cut: boolean
  detected: boolean
  /** Whether the frame went to the helper (the second worker) to be detected, and whether an earlier frame's boxes arrived from it. */
  detectionSent: boolean
  detectionArrived: boolean
  faces: LiveFace[]
  /** Descriptors that arrived from the helper in this frame. */
  describedElsewhere: number
  timings: LiveFrame['timings']
}
const logLength = 20_000
/**
 * Every processed frame's decisions, the latest `logLength`, as `window.facerLiveLog`: for the
 * end-to-end tests, which check every frame, and for whoever wants to see what the page decided.
 */
function frameLog(): LoggedFrame[] {
  const scope = window as unknown as { facerLiveLog?: LoggedFrame[] }
  scope.facerLiveLog ??= []
  return scope.facerLiveLog
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const nextFrame = () => new Promise((resolve) => requestAnimationFrame(resolve))
/** How long the loop waits for the camera's next frame before it reads the one it has (a hidden page gets none). */
const newFrameLimitMs = 250

/**
 * Live recognition on `video`, drawn on `canvas`: it starts the engine as soon as it can (the worker when
 * the component mounts, or the page's runtime once the page hands it over), runs the loop while the
 * camera is live, and disposes of the engine with the component.
 */
export function useLiveRecognition(video: Ref<HTMLVideoElement | null>, canvas: Ref<HTMLCanvasElement | null>, source: LiveSource) {
  const { modelsUrl, wasmUrl } = useRuntimeConfig().public
  const { status, error, devices, deviceId, frameRate, start, stop } = useCamera(video)
  const store = useAppStore()

  const engine = shallowRef<LiveEngine | null>(null)
  const preparing = ref('Preparing live recognition…')
  const engineError = ref<string | null>(null)

  const desiredFps = ref(30)
  const show = reactive<DrawOptions & { recognition: boolean }>({
    boxes: true,
    landmarks: false,
    names: true,
    distance: false,
    expressions: false,
    recognition: true,
  })
  const stats = reactive({ fps: 0, msPerFrame: 0, tensors: 0, frames: 0, described: 0, describedElsewhere: 0, detectorShare: 0, detectorElsewhereShare: 0 })
  const faces = ref<LiveFace[]>([])
  /** Every name shown so far in this session, for whoever reads the page's state. */
  const seen = reactive<Record<string, number>>({})

  let running = false
  let unmounted = false

  /** Plain data, as a worker message needs: no reactive proxies. */
  function currentSettings(): LiveSettings {
    const { boxes, landmarks, names, distance, expressions, recognition } = show
    return {
      rule: { ...source.rule() },
      recognition,
      landmarks,
      expressions,
      draw: { boxes, landmarks, names, distance, expressions },
    }
  }

  // One frame in flight at a time: wait for a frame not read yet, process it, then wait out the frame budget.
  async function loop(live: LiveEngine) {
    const recent: { at: number; detected: boolean; sent: boolean }[] = []
    const log = frameLog()
    let frames: FrameWatch | null = null
    let watched: HTMLVideoElement | null = null
    try {
      while (running) {
        if (video.value !== watched) {
          frames?.stop()
          watched = video.value
          frames = watched && watchFrames(watched)
        }
        await frames?.next(newFrameLimitMs)
        if (!running) break
        const started = performance.now()
        if (video.value && video.value.readyState >= 2 && video.value.videoWidth) {
          const cameraFrame = frames?.take() ?? null
          const frame = await live.process(video.value, currentSettings())
          if (!running) break
          const finished = performance.now()
          stats.frames++
          stats.msPerFrame = Math.round(finished - started)
          stats.described += frame.described
          stats.describedElsewhere += frame.describedElsewhere
          stats.tensors = frame.tensors
          recent.push({ at: finished, detected: frame.detected, sent: frame.detectionSent })
          while (recent.length && recent[0]!.at < finished - 1000) recent.shift()
          stats.fps = recent.length
          stats.detectorShare = recent.filter((entry) => entry.detected || entry.sent).length / recent.length
          stats.detectorElsewhereShare = recent.filter((entry) => entry.sent).length / recent.length
          faces.value = frame.faces
          log.push({ frame: stats.frames, cameraFrame, at: Math.round(finished), ms: stats.msPerFrame, cut: frame.cut, detected: frame.detected, detectionSent: frame.detectionSent, detectionArrived: frame.detectionArrived, faces: frame.faces, describedElsewhere: frame.describedElsewhere, timings: frame.timings })
          if (log.length > logLength) log.splice(0, log.length - logLength)
          for (const face of frame.faces) if (face.name && !(face.name in seen)) seen[face.name] = stats.frames
        }
        await sleep(Math.max(0, 1000 / desiredFps.value - (performance.now() - started)))
        // Networks on the page's own thread never yield: let it paint first. A worker leaves the page free.
        if (live.where === 'page') await nextFrame()
      }
    } finally {
      frames?.stop()
    }
  }

  /** The running loop, so that a new start waits for the last frame of the one before. */
  let looping: Promise<void> = Promise.resolve()

  async function startRecognition() {
    const live = engine.value
    if (!live) return
    await start()
    await looping
    if (status.value !== 'live' || running) return
    running = true
    live.reset()
    looping = loop(live).catch((err: unknown) => {
      if (!running) return
      stopRecognition()
      // A failed worker keeps the canvas it was handed: only a new page can give another one a canvas.
      const again = live.where === 'worker' ? ' Reload the page to start again.' : ''
      engineError.value = `Live recognition stopped: ${(err as Error).message}.${again}`
      if (live.where === 'worker') {
        live.dispose()
        engine.value = null
      }
    })
  }

  function stopRecognition() {
    running = false
    stop()
    faces.value = []
    engine.value?.reset()
  }

  async function switchCamera() {
    running = false
    await startRecognition()
  }

  function runInPage(runtime: FaceRuntime) {
    if (engine.value || unmounted || !canvas.value) return
    engine.value = createPageEngine(runtime, canvas.value, source.gallery(), modelsUrl)
    source.onEngine('page')
  }

  async function runInWorker() {
    try {
      const live = await startWorkerEngine(canvas.value!, {
        modelsUrl,
        wasmUrl,
        backends: backendOrder(savedBackendChoice()),
        onProgress: (loaded, total) => {
          preparing.value = `Preparing live recognition… ${loaded} of ${total} networks`
          store.commit('face/modelsLoading', { loaded, total })
        },
      })
      if (unmounted) return live.dispose()
      live.setGallery(source.gallery())
      engine.value = live
      store.commit('face/modelsLoaded', live.backend)
      source.onEngine('worker')
    } catch (err) {
      // The page's own runtime will do (it hands it over as `runtime`): slower to paint, but it works.
      console.warn(`Live recognition runs in the page: ${(err as Error).message}`)
      source.onEngine('failed')
    }
  }

  onMounted(() => {
    if (canRunInWorker()) void runInWorker()
    watch(
      () => source.runtime(),
      (runtime) => {
        // The page hands its runtime over only where it runs live video: no worker, or the worker failed.
        if (runtime) runInPage(runtime)
      },
      { immediate: true },
    )
  })

  watch(
    () => source.gallery(),
    (gallery) => engine.value?.setGallery(gallery),
  )

  onBeforeUnmount(() => {
    unmounted = true
    running = false
    engine.value?.dispose()
  })

  return {
    camera: { status, error, devices, deviceId, frameRate },
    engine,
    preparing,
    engineError,
    desiredFps,
    show,
    stats,
    faces,
    seen,
    start: startRecognition,
    stop: stopRecognition,
    switchCamera,
  }
}
