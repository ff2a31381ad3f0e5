// The camera's frames, each read once: a loop faster than the camera would otherwise read the frame it
// has already read, and count it again as a frame processed.

export interface FrameWatch {
  /** Resolves once the video shows a frame that `take` has not marked read, or after `limitMs` in any case. */
  next(limitMs: number): Promise<void>
  /** Marks the frame the video shows now as read; its number in the video's count of frames shown, null where unknown. */
  take(): number | null
  stop(): void
}

/**
 * Watches `video`'s frames with requestVideoFrameCallback. Where a browser lacks it, every call finds a
 * new frame, as before. The limit keeps the loop going where no callback comes (a hidden page).
 */
export function watchFrames(video: HTMLVideoElement): FrameWatch {
  if (typeof video.requestVideoFrameCallback !== 'function') return { next: () => Promise.resolve(), take: () => null, stop() {} }
  /** The video's count of frames shown; it may start again from 0 when the camera changes, so only equality counts. */
  let shown = 0
  let read = -1
  let wake: (() => void) | null = null
  let stopped = false
  const onFrame: VideoFrameRequestCallback = (_now, metadata) => {
    shown = metadata.presentedFrames
    wake?.()
    if (!stopped) handle = video.requestVideoFrameCallback(onFrame)
  }
  let handle = video.requestVideoFrameCallback(onFrame)
  return {
    next(limitMs) {
      if (shown !== read) return Promise.resolve()
      return new Promise((resolve) => {
        const timer = setTimeout(done, limitMs)
        function done() {
          clearTimeout(timer)
          wake = null
          resolve()
        }
        wake = done
      })
    },
    take() {
      read = shown
      return shown
    },
    stop() {
      stopped = true
      wake?.()
      video.cancelVideoFrameCallback(handle)
    },
  }
}
