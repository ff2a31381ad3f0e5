import type { FaceRuntime } from '~/shared/face/enroll'
import { useAppStore } from '~/store'
import { backendOrder, savedBackendChoice } from '~/browser/face-backend'
import { loadFaceRuntime } from '~/browser/face-runtime'

// Named, not indexed: each net face-api needs for detection, landmarks and descriptors. The expression
// network loads only when live video's Expressions is switched on (LiveRecognizer).
const netNames = ['tinyFaceDetector', 'ssdMobilenetv1', 'faceLandmark68Net', 'faceRecognitionNet'] as const

let loading: Promise<FaceRuntime> | null = null

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
    loading = loadFaceRuntime({
      modelsUrl,
      wasmUrl,
      backends: backendOrder(savedBackendChoice()),
      nets: netNames,
      onProgress: (loaded) => store.commit('face/modelsLoading', { loaded, total }),
    })
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
