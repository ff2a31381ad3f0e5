// The one warm-up of live video's networks, for the recognition worker and for the page where no worker
// runs: a first pass compiles the backend's programs, so that the first frame after Start is not slow.
import type { FaceRuntime } from '~/shared/face/enroll'
import { warmUpNetworks } from '~/shared/face/recognize'

/** Warms the networks up on the enrolled photo at `photo`, or on a blank image where there is none or it cannot be read. */
export async function warmUp(runtime: FaceRuntime, photo: string | null): Promise<void> {
  const bitmap = photo
    ? await fetch(photo)
        .then((response) => (response.ok ? response.blob() : Promise.reject(new Error(String(response.status)))))
        .then((blob) => createImageBitmap(blob))
        .catch(() => null)
    : null
  const image = bitmap ? runtime.tf.browser.fromPixels(bitmap) : runtime.tf.zeros([240, 320, 3], 'int32')
  bitmap?.close()
  try {
    await warmUpNetworks(runtime, image as Parameters<typeof warmUpNetworks>[1])
  } finally {
    image.dispose()
  }
}
