// The recognition worker's end of the helper (helper.worker.ts): LiveTracker's describeElsewhere and
// detectElsewhere. Each face goes as the RGBA pixels of its aligned box, cut from the frame's pixels, and
// a frame to detect in as a copy of all of them, so the helper's answer is the one the recognition
// worker would compute from the same pixels.
import type { BoxesLater, DescriptorsLater, FaceFit } from '~/shared/face/live'
import { clipToImage } from '~/shared/face/live-ops'
import type { HelperReply, HelperRequest, FaceCrop } from './protocol'

/** Requests sent and not answered yet, at most: past this the work is done in the recognition worker. */
const maxWaiting = 2
/** A request unanswered this long means the helper is gone: it fails, and nothing more is sent. */
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

/** The reply to a request, of the kind it asked for. */
function answerOf<Type extends HelperReply['type']>(reply: HelperReply, type: Type): Extract<HelperReply, { type: Type }> {
  if (reply.type !== type) throw new Error(`The helper answered ${reply.type}, not ${type}`)
  return reply as Extract<HelperReply, { type: Type }>
}

interface Waiting {
  resolve: (answer: HelperReply) => void
  reject: (err: Error) => void
  timer: ReturnType<typeof setTimeout>
  sentAt: number
}

export class HelperClient {
  readonly #port: MessagePort
  #ready = false
  #broken = false
  #nextId = 1
  readonly #waiting = new Map<number, Waiting>()
  /** Milliseconds from sending to the answer, of the requests answered since `takeRoundTrips` last ran. */
  #roundTrips: number[] = []

  constructor(port: MessagePort) {
    this.#port = port
    port.onmessage = ({ data }: MessageEvent<HelperReply>) => this.#receive(data)
  }

  /** Whether it can take work now: ready, not broken, and not too far behind. */
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
    const answer = this.#send({ type: 'describe', id, faces }, faces.flatMap((face) => (face ? [face.pixels.buffer] : [])))
    return Promise.resolve({ descriptors: answer.then((reply) => answerOf(reply, 'described').descriptors) })
  }

  /** Sends a copy of `frame` to detect faces in; null where it cannot take it now. */
  detect(frame: ImageData): Promise<BoxesLater> | null {
    if (!this.available) return null
    const pixels = new Uint8ClampedArray(frame.data)
    const answer = this.#send({ type: 'detect', id: this.#nextId++, width: frame.width, height: frame.height, pixels }, [pixels.buffer])
    return Promise.resolve({ boxes: answer.then((reply) => answerOf(reply, 'detected').boxes) })
  }

  /** The round trips of the requests answered since the last call, in milliseconds: for the readouts. */
  takeRoundTrips(): number[] {
    const taken = this.#roundTrips
    this.#roundTrips = []
    return taken
  }

  close(): void {
    this.#fail(new Error('The helper was stopped'))
    this.#port.close()
  }

  /** Posts the request; resolves with its answer, or rejects where the helper reports an error or is gone. */
  #send(request: HelperRequest, transfer: Transferable[]): Promise<HelperReply> {
    const answer = new Promise<HelperReply>((resolve, reject) => {
      const timer = setTimeout(() => this.#fail(new Error('The helper did not answer')), answerTimeoutMs)
      this.#waiting.set(request.id, { resolve, reject, timer, sentAt: performance.now() })
    })
    this.#port.postMessage(request, transfer)
    return answer
  }

  #receive(reply: HelperReply): void {
    switch (reply.type) {
      case 'ready':
        this.#ready = true
        return
      case 'failed':
        this.#fail(new Error(reply.message))
        return
      default: {
        const waiting = this.#waiting.get(reply.id)
        if (!waiting) return
        this.#waiting.delete(reply.id)
        clearTimeout(waiting.timer)
        this.#roundTrips.push(performance.now() - waiting.sentAt)
        if (reply.type === 'error') waiting.reject(new Error(reply.message))
        else waiting.resolve(reply)
      }
    }
  }

  /** Every request waiting fails, and no more are sent: the recognition worker does the work itself. */
  #fail(err: Error): void {
    this.#broken = true
    for (const { reject, timer } of this.#waiting.values()) {
      clearTimeout(timer)
      reject(err)
    }
    this.#waiting.clear()
  }
}
