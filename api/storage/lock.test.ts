import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { existsSync } from 'node:fs'
import { mkdir, readFile, readlink, rm, utimes, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { describe, expect, it } from 'vitest'
import { withPerson, type DescriptorEntry } from '../../shared/face/model.js'
import { useTestApi } from '../../tests/support/api.js'
import { addFixturePhotos, repoRoot } from '../../tests/support/data.js'
import {
  descriptorEntry,
  faceModelOf,
  generationOf,
  mixedUpdates,
  modelFileOf,
  personModel,
  readModelFile,
  replay,
  sendUpdate,
  type Update,
} from '../../tests/support/faces.js'
import { sendJson } from '../../tests/support/http.js'
import { lockModel } from './lock.js'
import { modelFile } from './model-file.js'

const names = ['Ada Lovelace', 'Alan Turing', 'Grace Hopper', 'Katherine Johnson']
const writerScript = path.join(repoRoot, 'tests/support/model-writer.ts')

/** Another process writing the model through the store (tests/support/model-writer.ts). */
function startWriter(dataDir: string, holdMs: number, updates: Update[]) {
  const written = updates.map(({ name, body }) => ({ name, entry: body.descriptors[0] as DescriptorEntry }))
  const child = spawn(process.execPath, ['--import', 'tsx', writerScript, dataDir, String(holdMs), JSON.stringify(written)], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const lines: string[] = []
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const exited = once(child, 'exit').then(([code, signal]) => ({ code: code as number | null, signal: signal as string | null, lines, stderr }))
  const locked = new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      lines.push(line)
      if (line === 'locked') resolve()
    })
    void exited.then((result) => reject(new Error(`The writer exited before it took the lock: ${JSON.stringify(result)}`)))
  })
  return { child, locked, exited }
}

/** The generations a writer printed, one per update. */
const savedGenerations = (lines: string[]) => lines.filter((line) => line.startsWith('saved ')).map((line) => Number(line.slice(6)))

const patch = (name: string, photo: string, seed: number): Update => ({
  name,
  method: 'PATCH',
  body: { descriptors: [descriptorEntry(photo, seed)], rejected: [] },
})

describe('the face model lock between processes', () => {
  const api = useTestApi(async (dataDir) => {
    for (const name of names) await addFixturePhotos(dataDir, name, ['people/barack_obama/obama.jpg'])
  })
  const lockDir = () => `${modelFileOf(api.dataDir)}.lock`

  it('starts from a model with everyone in it', async () => {
    const start = faceModelOf(names.map((name) => personModel(name, [descriptorEntry('photo-1.jpg', 1)])), 0)
    expect((await sendJson(api.url, 'PUT', '/api/faces', start)).status).toBe(200)
  })

  // The reported case: proper-lockfile called the lock of a writer busy for 20 s stale after 10 s;
  // two PATCHes were answered 200 and then overwritten by that writer.
  it('never takes the lock from a live writer whose event loop is blocked for 12 s: 8 writers wait, and every write answered 200 is kept', async () => {
    const startModel = await readModelFile(api.dataDir)
    const held = patch('Ada Lovelace', 'held-for-12-s.jpg', 500)
    const writer = startWriter(api.dataDir, 12_000, [held])
    await writer.locked

    const updates = mixedUpdates(names, 8, 'waiting')
    const replies = await Promise.all(updates.map((update) => sendUpdate(api.url, update)))
    const { code, signal, lines, stderr } = await writer.exited

    expect({ code, signal, stderr }).toEqual({ code: 0, signal: null, stderr: '' })
    expect(savedGenerations(lines)).toEqual([startModel.generation + 1])
    expect(replies.map((reply) => reply.status)).toEqual(updates.map(() => 200))
    const generations = replies.map(generationOf)
    expect([...generations].sort((a, b) => a - b)).toEqual(updates.map((_, index) => startModel.generation + 2 + index))
    const final = await readModelFile(api.dataDir)
    expect(final.generation).toBe(startModel.generation + 1 + updates.length)
    expect(final.people).toEqual(
      replay(startModel, [{ update: held, generation: startModel.generation + 1 }, ...updates.map((update, index) => ({ update, generation: generations[index]! }))]),
    )
    expect(existsSync(lockDir())).toBe(false)
  }, 60_000)

  it('loses nothing when three writer processes and the API write at once: 60 writes, each in its own lock', async () => {
    const startModel = await readModelFile(api.dataDir)
    const byProcess = [0, 1, 2].map((writer) => Array.from({ length: 15 }, (_, index) => patch(names[(writer + index) % names.length]!, `process-${writer}-${index}.jpg`, 2000 + writer * 100 + index)))
    const writers = byProcess.map((updates) => startWriter(api.dataDir, 0, updates))
    const fromApi = mixedUpdates(names, 15, 'api')

    const replies = await Promise.all(fromApi.map((update) => sendUpdate(api.url, update)))
    const results = await Promise.all(writers.map((writer) => writer.exited))

    expect(results.map(({ code, stderr }) => ({ code, stderr }))).toEqual(writers.map(() => ({ code: 0, stderr: '' })))
    expect(replies.map((reply) => reply.status)).toEqual(fromApi.map(() => 200))
    const written = [
      ...fromApi.map((update, index) => ({ update, generation: generationOf(replies[index]!) })),
      ...byProcess.flatMap((updates, writer) => {
        const generations = savedGenerations(results[writer]!.lines)
        expect(generations).toHaveLength(updates.length)
        return updates.map((update, index) => ({ update, generation: generations[index]! }))
      }),
    ]
    expect(written.map(({ generation }) => generation).sort((a, b) => a - b)).toEqual(written.map((_, index) => startModel.generation + 1 + index))
    const final = await readModelFile(api.dataDir)
    expect(final.people).toEqual(replay(startModel, written))
    expect(existsSync(lockDir())).toBe(false)
  }, 60_000)

  it('takes over at once the lock of a writer killed -9 inside it, three times over, and the killed write is not in the file', async () => {
    for (let round = 0; round < 3; round++) {
      const before = await readModelFile(api.dataDir)
      const writer = startWriter(api.dataDir, 60_000, [patch('Alan Turing', `killed-${round}.jpg`, 3000 + round)])
      await writer.locked
      expect(existsSync(lockDir())).toBe(true)
      writer.child.kill('SIGKILL')
      expect((await writer.exited).signal).toBe('SIGKILL')

      const next = patch('Grace Hopper', `after-kill-${round}.jpg`, 3100 + round)
      const reply = await sendUpdate(api.url, next)

      expect(reply.status).toBe(200)
      expect(generationOf(reply)).toBe(before.generation + 1)
      const final = await readModelFile(api.dataDir)
      expect(final.people).toEqual(replay(before, [{ update: next, generation: before.generation + 1 }]))
      expect(existsSync(lockDir())).toBe(false)
    }
  }, 60_000)
})

describe('lockModel', () => {
  const api = useTestApi()
  const file = () => modelFileOf(api.dataDir)
  const ownerFile = () => path.join(`${file()}.lock`, 'owner.json')
  const leaveLock = async (owner: unknown) => {
    await mkdir(`${file()}.lock`, { recursive: true })
    await writeFile(ownerFile(), typeof owner === 'string' ? owner : JSON.stringify(owner))
  }
  const addPhoto = (photo: string) => (model: Parameters<typeof withPerson>[0]) => withPerson(model, personModel('Ada', [descriptorEntry(photo, 7)]))

  async function exitedPid(): Promise<number> {
    const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' })
    await once(child, 'exit')
    return child.pid!
  }

  // Where this process runs (Linux): a lock of this boot and PID namespace is judged by its pid.
  const here = async () => ({
    boot: (await readFile('/proc/sys/kernel/random/boot_id', 'utf8')).trim(),
    namespace: await readlink('/proc/self/ns/pid'),
  })
  const ago = (ms: number) => new Date(Date.now() - ms)

  it.each([
    { label: 'a process that has exited', owner: async () => ({ pid: await exitedPid(), ...(await here()), start: null, token: 'gone' }) },
    { label: 'a pid now used by another process', owner: async () => ({ pid: process.pid, ...(await here()), start: '1', token: 'reused' }) },
    { label: 'a process of an earlier boot', owner: async () => ({ pid: process.pid, ...(await here()), boot: 'an-earlier-boot', start: null, token: 'rebooted' }) },
    { label: 'another PID namespace, a minute ago', owner: async () => ({ pid: process.pid, ...(await here()), namespace: 'pid:[1]', start: null, token: 'foreign' }), age: 61_000 },
    { label: 'an owner cut short by a crash, 11 s ago', owner: async () => '{"pid": 12', age: 11_000 },
  ])('breaks a lock left by $label, and the write goes through', async ({ owner, age }) => {
    await leaveLock(await owner())
    if (age) await utimes(`${file()}.lock`, ago(age), ago(age))
    const saved = await modelFile(api.dataDir).update(addPhoto('after-break.jpg'))
    expect(saved.people[0]!.descriptors.map((entry) => entry.photo)).toEqual(['after-break.jpg'])
    expect(existsSync(`${file()}.lock`)).toBe(false)
  })

  /**
   * Starts taking the lock; `taken()` tells whether it has been, so far, and `waited(n)` resolves once
   * it has found the lock held, and not abandoned, `n` times.
   */
  function takeLock() {
    let done = false
    let attempts = 0
    const waiters: { count: number; resolve: () => void }[] = []
    const lock = lockModel(file(), {
      onWait: (attempt) => {
        attempts = attempt
        for (const waiter of waiters.filter(({ count }) => count <= attempt)) waiter.resolve()
      },
    }).then((taken) => {
      done = true
      return taken
    })
    const waited = (count: number) => (attempts >= count ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ count, resolve })))
    return { lock, taken: () => done, waited }
  }

  it('never breaks the lock of a live process, however old', async () => {
    await leaveLock({ pid: process.pid, ...(await here()), start: null, token: 'alive' })
    await utimes(`${file()}.lock`, ago(3_600_000), ago(3_600_000))
    const waiting = takeLock()
    await waiting.waited(10)
    expect(waiting.taken()).toBe(false)
    // What its owner does when done.
    await rm(`${file()}.lock`, { recursive: true })
    await (await waiting.lock).release()
  })

  it('waits on a lock of another PID namespace until it is a minute old', async () => {
    await leaveLock({ pid: await exitedPid(), ...(await here()), namespace: 'pid:[1]', start: null, token: 'foreign' })
    const waiting = takeLock()
    await waiting.waited(10)
    expect(waiting.taken()).toBe(false)
    await utimes(`${file()}.lock`, ago(61_000), ago(61_000))
    await (await waiting.lock).release()
    expect(existsSync(`${file()}.lock`)).toBe(false)
  })

  it('breaks an ownerless lock folder (proper-lockfile’s, of an earlier version) once it is 10 s old, as proper-lockfile did', async () => {
    await mkdir(`${file()}.lock`)
    await utimes(`${file()}.lock`, new Date(Date.now() - 11_000), new Date(Date.now() - 11_000))
    const lock = await lockModel(file())
    await lock.release()
    expect(existsSync(`${file()}.lock`)).toBe(false)
  })

  it('gives a second lock of the same file only once the first is released', async () => {
    const first = await lockModel(file())
    const second = takeLock()
    await second.waited(5)
    expect(second.taken()).toBe(false)
    await first.release()
    await (await second.lock).release()
  })

  it('writes nothing, and answers 503 model_lock_lost, when its lock was taken while the change was made', async () => {
    const store = modelFile(api.dataDir)
    const before = await readFile(file(), 'utf8')
    const other = { pid: process.pid, started: null, token: 'someone-else' }

    const failure: unknown = await store
      .update(async (model) => {
        await writeFile(ownerFile(), JSON.stringify(other))
        return addPhoto('never-saved.jpg')(model)
      })
      .catch((err: unknown) => err)

    expect(failure).toMatchObject({ status: 503, code: 'model_lock_lost' })
    expect(await readFile(file(), 'utf8')).toBe(before)
    // The lock now held by the other is left to it.
    expect(JSON.parse(await readFile(ownerFile(), 'utf8'))).toEqual(other)
    await rm(`${file()}.lock`, { recursive: true })
  })
})
