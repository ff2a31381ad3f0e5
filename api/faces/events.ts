// `GET /api/faces/events`: the model's generation as server-sent events, so that an open Recognize page
// loads the new gallery when the model changes, whichever process or host changed it (Storage.watchModel).
import type { Request, RequestHandler, Response } from 'express'
import { HttpError } from '../errors.js'
import { log } from '../logging.js'
import type { Storage } from '../storage/port.js'

/** A comment line this often keeps proxies and the browser from taking a quiet stream for a dead one. */
export const keepAliveMs = 20_000

/** What a `model` event carries. */
export interface ModelEvent {
  generation: number
}

/** The event streams of one process, at most `maxStreams` open at once. */
export function modelEvents(storage: Storage, maxStreams: number): RequestHandler {
  let open = 0
  return (req: Request, res: Response) => {
    if (open >= maxStreams) {
      throw new HttpError(503, 'too_many_streams', 'The server has as many model event streams open as it keeps; try again in a while')
    }
    open++
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      // nginx would otherwise hold the events back in its buffer.
      'X-Accel-Buffering': 'no',
    })
    // The browser's EventSource waits this long before it connects again after the stream ends.
    res.write('retry: 1000\n\n')
    let sent = -1
    const send = (generation: number) => {
      if (generation <= sent) return
      sent = generation
      const event: ModelEvent = { generation }
      res.write(`event: model\ndata: ${JSON.stringify(event)}\n\n`)
    }
    // Listening before reading: a change made meanwhile is sent, at worst after the generation it follows.
    const stop = storage.watchModel(send)
    const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), keepAliveMs)
    let closed = false
    const close = () => {
      if (closed) return
      closed = true
      open--
      stop()
      clearInterval(keepAlive)
    }
    res.once('close', close)
    storage.readModel().then(
      (model) => {
        if (!closed) send(model.generation)
      },
      (err: unknown) => {
        log('error', 'could not read the face model for an event stream', { error: String(err) })
        res.end()
      },
    )
  }
}
