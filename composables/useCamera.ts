export type CameraStatus = 'idle' | 'starting' | 'live' | 'error'

/** Why the camera cannot start, in words a person can act on. */
export function cameraErrorMessage(err: unknown): string {
  const name = (err as { name?: string } | null)?.name
  switch (name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return 'Camera access was denied. Allow this site to use the camera in your browser settings, then try again.'
    case 'NotFoundError':
    case 'OverconstrainedError':
      return 'No camera was found. Connect a camera and try again.'
    case 'NotReadableError':
    case 'AbortError':
      return 'The camera could not be started: another application may be using it.'
    default:
      return `The camera could not be started${err instanceof Error && err.message ? `: ${err.message}` : '.'}`
  }
}

/** Null when the camera can be used here; otherwise the reason. */
export function cameraUnavailableReason(): string | null {
  if (!window.isSecureContext) {
    return 'The camera needs a secure connection: open facer over HTTPS, or on http://localhost.'
  }
  if (!navigator.mediaDevices?.getUserMedia) return 'This browser cannot use a camera.'
  return null
}

/**
 * A camera for a <video> element: device choice, start and stop. The stream is released
 * when the component that uses it unmounts.
 */
export function useCamera(video: Ref<HTMLVideoElement | null>) {
  const status = ref<CameraStatus>('idle')
  const error = ref<string | null>(null)
  const devices = ref<{ deviceId: string; label: string }[]>([])
  const deviceId = ref<string>('')
  /** The rate the camera gives frames at, as it says; null before it runs or where it does not say. */
  const frameRate = ref<number | null>(null)
  let stream: MediaStream | null = null

  function stop() {
    stream?.getTracks().forEach((track) => track.stop())
    stream = null
    if (video.value) video.value.srcObject = null
    frameRate.value = null
    if (status.value !== 'error') status.value = 'idle'
  }

  async function listDevices() {
    const all = await navigator.mediaDevices.enumerateDevices()
    devices.value = all
      .filter((device) => device.kind === 'videoinput')
      .map((device, index) => ({ deviceId: device.deviceId, label: device.label || `Camera ${index + 1}` }))
  }

  async function start() {
    const unavailable = cameraUnavailableReason()
    if (unavailable) {
      status.value = 'error'
      error.value = unavailable
      return
    }
    stop()
    status.value = 'starting'
    error.value = null
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        video: deviceId.value ? { deviceId: { exact: deviceId.value } } : { width: { ideal: 1280 }, height: { ideal: 720 } },
        audio: false,
      })
      if (!video.value) throw new Error('no video element')
      video.value.srcObject = stream
      await video.value.play()
      const settings = stream.getVideoTracks()[0]?.getSettings()
      deviceId.value = settings?.deviceId ?? deviceId.value
      frameRate.value = settings?.frameRate ?? null
      await listDevices()
      status.value = 'live'
    } catch (err) {
      stop()
      status.value = 'error'
      error.value = cameraErrorMessage(err)
    }
  }

  onBeforeUnmount(stop)

  return { status, error, devices, deviceId, frameRate, start, stop }
}

/**
 * The current video frame, whole and at the camera's own size: the server finds the face on it and
 * stores a frame around that face, as it does for an uploaded photo (api/photos/image.ts).
 */
export function snapshotFrame(video: HTMLVideoElement): Promise<Blob> {
  const canvas = document.createElement('canvas')
  canvas.width = video.videoWidth
  canvas.height = video.videoHeight
  const context = canvas.getContext('2d')
  if (!context) return Promise.reject(new Error('This browser cannot draw a snapshot.'))
  context.drawImage(video, 0, 0, canvas.width, canvas.height)
  return new Promise((resolve, reject) =>
    canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error('The snapshot could not be encoded.'))), 'image/jpeg', 0.92),
  )
}
