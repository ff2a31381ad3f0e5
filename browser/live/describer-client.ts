// The recognition worker's end of the describer (describer.worker.ts): LiveTracker's describeElsewhere.
// Each face goes as the RGBA pixels of its aligned box, cut from the frame's pixels, so the describer's
// descriptor is the one `describe` would compute here from the same crop.
import type { DescriptorsLater, FaceFit } from '~/shared/face/live'
import { clipToImage } from '~/shared/face/live-ops'
import type { DescribeRequest, DescriberReply, FaceCrop } from './protocol'

/** Batches sent and not answered yet, at most: past this the faces are described in the recognition worker. */
const maxWaiting = 2
/** A batch unanswered this long means the describer is gone: it fails, and nothing more is sent. */
const answerTimeoutMs = 3000

/** The box's RGBA pixels, row by row. */
function cropPixels(frame: ImageData, { x, y, width, height }: { x: number; y: number; width: number; height: number }): Uint8ClampedArray<ArrayBuffer> {
  const pixels = new Uint8ClampedArray(width * height * 4)
  for (let row = 0; row < height; row++) {
    const start = ((y + row) * frame.width + x) * 4
    pixels.set(frame.data.subarray(start, start + width * 4), row * width * 4)
  }
  return pixels
}

export class DescriberClient {
  readonly #port: MessagePort
  #ready = false
  #broken = false
  #nextId = 1
  readonly #waiting = new Map<
    number,
    { resolve: (descriptors: (Float32Array | null)[]) => void; reject: (err: Error) => void; timer: ReturnType<typeof setTimeout>; sentAt: number }
  >()
  /** Milliseconds from sending to the answer, of the batches answered since `takeRoundTrips` last ran. */
  #roundTrips: number[] = []

  constructor(port: MessagePort) {
    this.#port = port
    port.onmessage = ({ data }: MessageEvent<DescriberReply>) => this.#receive(data)
  }

  /** Whether it can take faces now: ready, not broken, and not too far behind. */
  get available(): boolean {
    return this.#ready && !this.#broken && this.#waiting.size < maxWaiting
  }

  /** Sends the faces of `fits`, cut from `frame`; null where it cannot take them now. */
  describe(frame: ImageData, fits: readonly FaceFit[]): Promise<DescriptorsLater> | null {
    if (!this.available) return null
    const faces: (FaceCrop | null)[] = fits.map(({ alignedBox }) => {
      const box = clipToImage(alignedBox, frame.width, frame.height)
      return box ? { width: box.width, height: box.height, pixels: cropPixels(frame, box) } : null
    })
    const id = this.#nextId++
    const descriptors = new Promise<(Float32Array | null)[]>((resolve, reject) => {
      const timer = setTimeout(() => this.#fail(new Error('The describer did not answer')), answerTimeoutMs)
      this.#waiting.set(id, { resolve, reject, timer, sentAt: performance.now() })
    })
    const request: DescribeRequest = { id, faces }
    this.#port.postMessage(request, faces.flatMap((face) => (face ? [face.pixels.buffer] : [])))
    return Promise.resolve({ descriptors })
  }

  /** The round trips of the batches answered since the last call, in milliseconds: for the readouts. */
  takeRoundTrips(): number[] {
    const taken = this.#roundTrips
    this.#roundTrips = []
    return taken
  }

  close(): void {
    this.#fail(new Error('The describer was stopped'))
    this.#port.close()
  }

  #receive(reply: DescriberReply): void {
    switch (reply.type) {
      case 'ready':
        this.#ready = true
        return
      case 'failed':
        this.#fail(new Error(reply.message))
        return
      case 'described':
      case 'error': {
        const waiting = this.#waiting.get(reply.id)
        if (!waiting) return
        this.#waiting.delete(reply.id)
        clearTimeout(waiting.timer)
        this.#roundTrips.push(performance.now() - waiting.sentAt)
        if (reply.type === 'described') waiting.resolve(reply.descriptors)
        else waiting.reject(new Error(reply.message))
      }
    }
  }

  /** Every batch waiting fails, and no more are sent: the tracker describes its faces itself. */
  #fail(err: Error): void {
    this.#broken = true
    for (const { reject, timer } of this.#waiting.values()) {
      clearTimeout(timer)
      reject(err)
    }
    this.#waiting.clear()
  }
}
