// The one warm-up of live video's networks, for the recognition worker and for the page where no worker
// runs: a first pass packs the networks' weights (WASM) or compiles their programs (WebGL), so that the
// first frame after Start is not slow. It needs no photo: live video's own operations on a blank frame.
import type { FaceRuntime } from '~/shared/face/enroll'
import { warmUpLiveOps } from '~/shared/face/live-ops'

export function warmUp(runtime: FaceRuntime): Promise<void> {
  return warmUpLiveOps(runtime)
}
