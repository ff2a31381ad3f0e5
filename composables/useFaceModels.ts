import type { FaceRuntime } from '~/shared/face/enrol'
import { useAppStore } from '~/store'

// Named, not indexed: each net face-api needs for detection, landmarks, descriptors and expressions.
const netNames = [
  'tinyFaceDetector',
  'ssdMobilenetv1',
  'faceLandmark68Net',
  'faceRecognitionNet',
  'faceExpressionNet',
] as const

let loading: Promise<FaceRuntime> | null = null

async function chooseBackend(tf: FaceRuntime['tf'], wasmUrl: string): Promise<string> {
  const { setWasmPaths } = await import('@tensorflow/tfjs-backend-wasm')
  setWasmPaths(wasmUrl)
  for (const backend of backendOrder(savedBackendChoice())) {
    // setBackend resolves false, rather than throwing, when for example the .wasm cannot be
    // fetched, and tfjs stays where it was: check what actually runs.
    if ((await tf.setBackend(backend).catch(() => false)) && tf.getBackend() === backend) break
  }
  await tf.ready()
  return tf.getBackend()
}

async function loadNets(
  modelsUrl: string,
  wasmUrl: string,
  onProgress: (loaded: number) => void,
): Promise<{ runtime: FaceRuntime; backend: string }> {
  // face-api's own `tf` export is typed as a stub; this is the same TensorFlow.js instance.
  const [faceapi, tf] = await Promise.all([
    import('@vladmandic/face-api/dist/face-api.esm-nobundle.js'),
    import('@tensorflow/tfjs'),
  ])
  const backend = await chooseBackend(tf, wasmUrl)
  let loaded = 0
  await Promise.all(
    netNames.map(async (name) => {
      await faceapi.nets[name].loadFromUri(modelsUrl)
      onProgress(++loaded)
    }),
  )
  return { runtime: { faceapi, tf }, backend }
}

/**
 * Loads TensorFlow.js, face-api and its models once per page load, in the browser only,
 * reporting progress to the face store.
 */
export function useFaceModels() {
  const store = useAppStore()
  const { modelsUrl, wasmUrl } = useRuntimeConfig().public

  function load(): Promise<FaceRuntime> {
    if (import.meta.server) throw new Error('Face models load in the browser only')
    if (loading) return loading
    const total = netNames.length
    store.commit('face/modelsLoading', { loaded: 0, total })
    loading = loadNets(modelsUrl, wasmUrl, (loaded) => store.commit('face/modelsLoading', { loaded, total }))
      .then(({ runtime, backend }) => {
        store.commit('face/modelsLoaded', backend)
        return runtime
      })
      .catch((err: unknown) => {
        loading = null
        store.commit('face/modelsFailed', `The face models could not be loaded: ${(err as Error).message}`)
        throw err
      })
    return loading
  }

  return { load }
}
