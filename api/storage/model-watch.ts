// How every process on one data folder learns that faces.json changed, whichever process wrote it: the
// file is replaced by a rename (model-file.ts), which fs.watch on the folder reports at once; a slow
// poll of the file's stat catches what a watch can miss (a folder made after the watch began, a file
// system that sends no events). One watcher per storage however many listeners, and nothing left
// running once the last of them stops.
import { watch, type FSWatcher } from 'node:fs'
import { open, stat } from 'node:fs/promises'
import path from 'node:path'
import { log } from '../logging.js'

/** How often the file's stat is read when no event came. */
export const modelPollMs = 2_000

/** The head of faces.json that holds its generation: the model's first fields (version, generation, updatedAt). */
const headBytes = 256
const generationInHead = /^\{"version":\d+,"generation":(\d+),/

/** The generation written at the start of a model file as model-file.ts writes it; undefined where it is not there. */
async function generationOfHead(file: string): Promise<number | undefined> {
  let handle
  try {
    handle = await open(file, 'r')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
  try {
    const buffer = Buffer.alloc(headBytes)
    const { bytesRead } = await handle.read(buffer, 0, headBytes, 0)
    const match = generationInHead.exec(buffer.subarray(0, bytesRead).toString('latin1'))
    return match ? Number(match[1]) : undefined
  } finally {
    await handle.close()
  }
}

export class ModelWatch {
  readonly #listeners = new Set<(generation: number) => void>()
  readonly #folder: string
  readonly #fileName: string
  #watcher: FSWatcher | null = null
  #poll: NodeJS.Timeout | null = null
  #generation: number | undefined
  #statKey = ''
  /** A check runs at a time; an event during one asks for one more after it. */
  #checking: Promise<void> | null = null
  #again = false

  constructor(
    readonly file: string,
    /** The model's generation when its file does not say it in its head (a reference-app array, a damaged file). */
    private readonly readGeneration: () => Promise<number>,
  ) {
    this.#folder = path.dirname(file)
    this.#fileName = path.basename(file)
  }

  listen(listener: (generation: number) => void): () => void {
    this.#listeners.add(listener)
    if (this.#listeners.size === 1) this.#start()
    return () => {
      if (this.#listeners.delete(listener) && this.#listeners.size === 0) this.#stop()
    }
  }

  /** A change this process made: its listeners hear of it without waiting for the file system. */
  changed(generation: number): void {
    if (this.listening) this.#announce(generation, false)
  }

  get listening(): boolean {
    return this.#watcher !== null || this.#poll !== null
  }

  #start(): void {
    this.#generation = undefined
    this.#statKey = ''
    this.#watchFolder()
    this.#poll = setInterval(() => this.#check(true), modelPollMs)
    this.#poll.unref()
    this.#check(false)
  }

  #stop(): void {
    this.#watcher?.close()
    this.#watcher = null
    if (this.#poll) clearInterval(this.#poll)
    this.#poll = null
  }

  /** Where the folder does not exist yet, the poll watches alone until it does. */
  #watchFolder(): void {
    if (this.#watcher) return
    try {
      this.#watcher = watch(this.#folder, { persistent: false }, (_event, name) => {
        if (name === null || name === this.#fileName) this.#check(false)
      })
      this.#watcher.on('error', () => {
        this.#watcher?.close()
        this.#watcher = null
      })
    } catch {
      this.#watcher = null
    }
  }

  /** `polled`: only a changed stat (size, time, inode) is worth reading the generation for. */
  #check(polled: boolean): void {
    if (polled && this.#listeners.size) this.#watchFolder()
    if (this.#checking) {
      this.#again = true
      return
    }
    this.#checking = this.#read(polled)
      .catch((err: unknown) => log('warn', 'could not read the face model generation', { file: this.file, error: String(err) }))
      .finally(() => {
        this.#checking = null
        if (this.#again && this.#listeners.size) {
          this.#again = false
          this.#check(false)
        }
      })
  }

  async #read(polled: boolean): Promise<void> {
    const info = await stat(this.file).catch(() => null)
    const key = info ? `${info.ino}:${info.size}:${info.mtimeMs}` : 'missing'
    if (polled && key === this.#statKey) return
    this.#statKey = key
    const generation = info ? ((await generationOfHead(this.file)) ?? (await this.readGeneration())) : 0
    // The first reading is where listening begins, not a change.
    this.#announce(generation, this.#generation === undefined)
  }

  /**
   * Generations only go up (model-file.ts): an older one is a read that began before the newest write,
   * and is not announced.
   */
  #announce(generation: number, baseline: boolean): void {
    if (this.#generation !== undefined && generation <= this.#generation) return
    this.#generation = generation
    if (!baseline) for (const listener of [...this.#listeners]) listener(generation)
  }
}
