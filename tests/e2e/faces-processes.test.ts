import { once } from 'node:events'
import { existsSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { beforeAll, describe, expect, it } from 'vitest'
import type { FaceModel } from '../../shared/face/model.js'
import { useApp } from '../support/app.js'
import { listFiles } from '../support/data.js'
import {
  clients,
  descriptorEntry,
  faceModelOf,
  generationOf,
  isModelTempFile,
  mixedUpdates,
  modelFileOf,
  personModel,
  readModelFile,
  expectEveryUpdateKept,
  sendUpdate,
  watchModelFile,
  type Update,
} from '../support/faces.js'
import { sendJson, type JsonReply } from '../support/http.js'
import type { RunningServer } from '../support/server.js'

const names = ['Ada Lovelace', 'Alan Turing', 'Grace Hopper', 'Katherine Johnson']

/**
 * Two production server processes sharing one DATA_DIR, as PM2's cluster mode runs them: every
 * write to faces.json goes through a lock both respect.
 */
describe('the face model with two server processes on one data folder', () => {
  const app = useApp({ people: Object.fromEntries(names.map((name) => [name, ['people/barack_obama/obama.jpg']])), servers: 2, browser: false })
  const lockDir = () => `${modelFileOf(app.data.path)}.lock`

  beforeAll(async () => {
    // A descriptor of each person's own: one face under two names would be flagged as a look-alike.
    const start = faceModelOf(names.map((name, index) => personModel(name, [descriptorEntry('photo-1.jpg', index + 1)])), 0)
    const res = await sendJson(app.server.url, 'PUT', '/api/faces', start)
    if (res.status !== 200) throw new Error(`Could not write the first model: ${JSON.stringify(res.body)}`)
  })

  it('loses no update when per-person writes alternate between the processes, and the file stays whole', async () => {
    const startModel = await readModelFile(app.data.path)
    const updates = mixedUpdates(names, 40)
    const agents = clients(4)
    const watcher = watchModelFile(app.data.path)

    const replies = await Promise.all(
      updates.map((update, index) => sendUpdate(app.servers[index % 2]!.url, update, agents[index % agents.length])),
    )

    const watched = await watcher.stop()
    for (const agent of agents) agent.destroy()
    const final = await expectEveryUpdateKept(app.data.path, startModel, updates, replies, watched)
    for (const server of app.servers) expect((await sendJson(server.url, 'GET', '/api/faces')).body).toEqual(final)
    expect((await listFiles(app.data.path)).filter(isModelTempFile)).toEqual([])
  })

  it('refuses a whole model read from one process once the other has written', async () => {
    const [one, other] = app.servers as [RunningServer, RunningServer]
    const read = (await sendJson(one.url, 'GET', '/api/faces')).body as { generation: number }
    const written = await sendUpdate(other.url, {
      name: 'Ada Lovelace',
      method: 'PATCH',
      body: { descriptors: [descriptorEntry('stale-check.jpg', 77)], rejected: [] },
    })
    expect(written.status).toBe(200)
    expect(generationOf(written)).toBe(read.generation + 1)
    const before = await readFile(modelFileOf(app.data.path), 'utf8')

    const stale = await sendJson(one.url, 'PUT', '/api/faces', { ...read, people: [] })

    expect(stale.status).toBe(409)
    expect(stale.body).toEqual({ error: { code: 'stale_model', message: expect.stringMatching(/\S/) } })
    expect(await readFile(modelFileOf(app.data.path), 'utf8')).toBe(before)
  })

  /**
   * Four clients write to the process one request after another; once some writes are done it is
   * killed -9, if it can be caught holding the lock (that is when a kill hurts: the lock stays).
   */
  async function writeUntilKilled(victim: RunningServer, round: number) {
    const acknowledged: { update: Update; reply: JsonReply }[] = []
    const streams = names.map(async (name, stream) => {
      for (let index = 0; ; index++) {
        const photo = `killed-${round}-${stream}-${index}.jpg`
        // A seed of each stream's own: the same descriptor under two names would be flagged as a look-alike.
        const update: Update = { name, method: 'PATCH', body: { descriptors: [descriptorEntry(photo, 5000 + 1000 * (round * names.length + stream) + index)], rejected: [] } }
        const reply = await sendUpdate(victim.url, update).catch(() => undefined)
        if (!reply) return
        if (reply.status === 200) acknowledged.push({ update, reply })
      }
    })
    while (acknowledged.length < 8) await sleep(5)

    const exited = once(victim.process, 'exit')
    const deadline = Date.now() + 2000
    while (!existsSync(lockDir()) && Date.now() < deadline);
    victim.process.kill('SIGKILL')
    await exited
    await Promise.all(streams)
    return { acknowledged, lockLeft: existsSync(lockDir()) }
  }

  it('keeps every acknowledged write when a process is killed -9 mid-stream, and its lock does not block writes for good', async () => {
    const acknowledged: { update: Update; reply: JsonReply }[] = []
    let lockLeft = false
    for (let round = 0; round < 3 && !lockLeft; round++) {
      const killed = await writeUntilKilled(app.servers[0]!, round)
      acknowledged.push(...killed.acknowledged)
      lockLeft = killed.lockLeft
      await app.restartServer(0)
    }
    expect(lockLeft).toBe(true)
    const generations = acknowledged.map(({ reply }) => generationOf(reply))
    expect(new Set(generations).size).toBe(generations.length)

    // After the restart: a whole model with every write that got a 200.
    const afterKill = await readModelFile(app.data.path)
    const holdsEvery = (model: FaceModel, updates: Update[]) => {
      for (const update of updates) {
        expect(model.people.find((person) => person.name === update.name)?.descriptors).toContainEqual(update.body.descriptors[0])
      }
    }
    holdsEvery(afterKill, acknowledged.map(({ update }) => update))

    // What a writer killed between writing a temp file and renaming it leaves behind.
    await writeFile(path.join(app.data.path, 'faces.json.0123456789ab.tmp'), '{"version":1,"gener')
    await writeFile(path.join(app.data.path, 'faces.json.bak.0123456789ab.tmp'), '{"version":1,"gener')

    const next: Update = {
      name: 'Grace Hopper',
      method: 'PATCH',
      body: { descriptors: [descriptorEntry('after-restart.jpg', 9999)], rejected: [] },
    }
    // The killed process's lock is taken over as soon as a writer finds that process gone.
    const written = await sendUpdate(app.servers[0]!.url, next)
    expect(written.status).toBe(200)
    expect(generationOf(written)).toBe(afterKill.generation + 1)

    const final = await readModelFile(app.data.path)
    holdsEvery(final, [...acknowledged.map(({ update }) => update), next])
    expect((await listFiles(app.data.path)).filter(isModelTempFile)).toEqual([])
    expect(existsSync(lockDir())).toBe(false)
    for (const server of app.servers) expect((await sendJson(server.url, 'GET', '/api/faces')).body).toEqual(final)

    const fromOther = await sendUpdate(app.servers[1]!.url, {
      ...next,
      body: { descriptors: [descriptorEntry('from-the-other-process.jpg', 10_000)], rejected: [] },
    })
    expect(fromOther.status).toBe(200)
    expect(generationOf(fromOther)).toBe(final.generation + 1)
  })
})
