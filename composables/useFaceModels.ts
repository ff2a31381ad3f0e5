import { useAppStore } from '~/store'

export type FaceApi = typeof import('@vladmandic/face-api/dist/face-api.esm-nobundle.js')

// Named, not indexed: each net face-api needs for detection, landmarks, descriptors and expressions.
const netNames = [
  'tinyFaceDetector',
  'ssdMobilenetv1',
  'faceLandmark68Net',
  'faceRecognitionNet',
  'faceExpressionNet',
] as const

let loading: Promise<FaceApi> | null = null

// face-api's own `tf` export is typed as a stub; this is the same TensorFlow.js instance.
async function chooseBackend(wasmUrl: string): Promise<string> {
  const [tf, { setWasmPaths }] = await Promise.all([
    import('@tensorflow/tfjs'),
    import('@tensorflow/tfjs-backend-wasm'),
  ])
  setWasmPaths(wasmUrl)
  // setBackend resolves false, rather than throwing, when the .wasm cannot be fetched.
  const wasmReady = await tf.setBackend('wasm').catch(() => false)
  if (!wasmReady) await tf.setBackend('cpu')
  await tf.ready()
  return tf.getBackend()
}

async function loadNets(
  modelsUrl: string,
  wasmUrl: string,
  onProgress: (loaded: number) => void,
): Promise<{ faceapi: FaceApi; backend: string }> {
  const faceapi = await import('@vladmandic/face-api/dist/face-api.esm-nobundle.js')
  const backend = await chooseBackend(wasmUrl)
  let loaded = 0
  await Promise.all(
    netNames.map(async (name) => {
      await faceapi.nets[name].loadFromUri(modelsUrl)
      onProgress(++loaded)
    }),
  )
  return { faceapi, backend }
}

/**
 * Loads TensorFlow.js, face-api and its models once per page load, in the browser only,
 * reporting progress to the face store.
 */
export function useFaceModels() {
  const store = useAppStore()
  const { modelsUrl, wasmUrl } = useRuntimeConfig().public

  function load(): Promise<FaceApi> {
    if (import.meta.server) throw new Error('Face models load in the browser only')
    if (loading) return loading
    const total = netNames.length
    store.commit('face/modelsLoading', { loaded: 0, total })
    loading = loadNets(modelsUrl, wasmUrl, (loaded) => store.commit('face/modelsLoading', { loaded, total }))
      .then(({ faceapi, backend }) => {
        store.commit('face/modelsLoaded', backend)
        return faceapi
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
