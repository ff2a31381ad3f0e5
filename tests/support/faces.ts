import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { Agent } from 'node:http'
import path from 'node:path'
import { descriptorLength, encodeDescriptor } from '../../shared/face/descriptor.js'
import {
  currentModelVersion,
  FaceModelSchema,
  type DescriptorEntry,
  type FaceModel,
  type PersonModel,
  type RejectedPhoto,
  type RejectionReason,
} from '../../shared/face/model.js'
import { sendJson, type JsonReply } from './http.js'
import { seededRandom } from './random.js'
import { expect } from 'vitest'

/** 128 float32 numbers from a seed, in the range face-api's descriptors take (about ±0.25). */
export function seededDescriptor(seed: number): Float32Array {
  const random = seededRandom(seed)
  return Float32Array.from({ length: descriptorLength }, () => (random() - 0.5) / 2)
}

export function encodedDescriptor(seed: number): string {
  return encodeDescriptor(seededDescriptor(seed))
}

/** A stand-in for a photo's SHA-256, in the same form: 64 hex digits. */
export function fakeHash(label: string | number): string {
  return createHash('sha256').update(String(label)).digest('hex')
}

/** A trained photo whose descriptor comes from `seed`. */
export function descriptorEntry(photo: string, seed: number): DescriptorEntry {
  return {
    photo,
    hash: fakeHash(seed),
    detector: 'ssd_mobilenetv1',
    box: { x: 12, y: 34, width: 160, height: 180 },
    descriptor: encodedDescriptor(seed),
  }
}

export function rejectedPhoto(photo: string, reason: RejectionReason = 'no_face'): RejectedPhoto {
  return { photo, hash: fakeHash(photo), reason, detail: `No usable face in ${photo}` }
}

export function personModel(name: string, descriptors: DescriptorEntry[], rejected: RejectedPhoto[] = []): PersonModel {
  return { name, descriptors, rejected }
}

export function faceModelOf(people: PersonModel[], generation = 0): FaceModel {
  return { version: currentModelVersion, generation, updatedAt: '2024-01-01T00:00:00.000Z', people }
}

export const modelFileOf = (dataDir: string) => path.join(dataDir, 'faces.json')

/** DATA_DIR/faces.json, parsed against the schema: throws when it is missing or damaged. */
export async function readModelFile(dataDir: string): Promise<FaceModel> {
  return FaceModelSchema.parse(JSON.parse(await readFile(modelFileOf(dataDir), 'utf8')))
}

/** Temp files a writer leaves behind if it dies between writing and renaming. */
export const isModelTempFile = (name: string) => /^faces\.json\..*\.tmp$/.test(path.basename(name))

/**
 * Reads faces.json over and over until `stop` is called, the way another process would: every
 * read must find a whole model. Resolves with how many reads were made and every failure seen.
 */
export function watchModelFile(dataDir: string): { stop(): Promise<{ reads: number; failures: string[] }> } {
  let running = true
  let reads = 0
  const failures: string[] = []
  const loop = (async () => {
    while (running) {
      try {
        await readModelFile(dataDir)
      } catch (err) {
        failures.push(String(err))
      }
      reads++
      await new Promise((resolve) => setImmediate(resolve))
    }
  })()
  return {
    async stop() {
      running = false
      await loop
      return { reads, failures }
    },
  }
}

/** Each client has its own connections, as separate browsers would. */
export function clients(count: number): Agent[] {
  return Array.from({ length: count }, () => new Agent({ keepAlive: true, maxSockets: 4 }))
}

/** One person's training result: PUT replaces their entry, PATCH adds to it. */
export interface Update {
  name: string
  method: 'PUT' | 'PATCH'
  body: Omit<PersonModel, 'name'>
}

/**
 * `count` updates spread over `names`, every fifth a PUT; each is about photos no other update
 * mentions, so a PATCH only ever adds to an entry.
 */
export function mixedUpdates(names: string[], count: number, label = 'shot'): Update[] {
  return Array.from({ length: count }, (_, index) => {
    const name = names[index % names.length]!
    const descriptors = [descriptorEntry(`${label}-${index}.jpg`, 1000 + index)]
    return index % 5 === 4
      ? { name, method: 'PUT', body: { descriptors, rejected: [rejectedPhoto(`${label}-${index}-blurred.jpg`, 'too_blurry')] } }
      : { name, method: 'PATCH', body: { descriptors, rejected: [] } }
  })
}

export function sendUpdate(baseUrl: string, update: Update, agent?: Agent): Promise<JsonReply> {
  return sendJson(baseUrl, update.method, `/api/faces/people/${encodeURIComponent(update.name)}`, update.body, agent)
}

/** What accepted updates make of a model when applied one by one in the order of their generations. */
export function replay(start: FaceModel, updates: { update: Update; generation: number }[]): PersonModel[] {
  const people = new Map(start.people.map((person) => [person.name, person]))
  for (const { update } of [...updates].sort((a, b) => a.generation - b.generation)) {
    const before = people.get(update.name) ?? { name: update.name, descriptors: [], rejected: [] }
    people.set(
      update.name,
      update.method === 'PUT'
        ? { name: update.name, ...update.body }
        : {
            name: update.name,
            descriptors: [...before.descriptors, ...update.body.descriptors],
            rejected: [...before.rejected, ...update.body.rejected],
          },
    )
  }
  return [...people.values()].sort((a, b) => a.name.localeCompare(b.name))
}

/** The generation a successful model write answers with. */
export function generationOf(reply: JsonReply): number {
  return (reply.body as { generation: number }).generation
}

/**
 * After concurrent updates: every one answered 200 with its own generation, the file parsed on
 * every read while they ran, and the final model (returned) is what replaying them in generation order gives.
 */
export async function expectEveryUpdateKept(
  dataDir: string,
  startModel: FaceModel,
  updates: Update[],
  replies: JsonReply[],
  watched: { reads: number; failures: string[] },
): Promise<FaceModel> {
  expect(replies.map((reply) => reply.status)).toEqual(updates.map(() => 200))
  const generations = replies.map(generationOf)
  expect([...generations].sort((a, b) => a - b)).toEqual(updates.map((_, index) => startModel.generation + 1 + index))
  expect(watched.failures).toEqual([])
  expect(watched.reads).toBeGreaterThan(0)

  const final = await readModelFile(dataDir)
  expect(final.generation).toBe(startModel.generation + updates.length)
  expect(final.people).toEqual(replay(startModel, updates.map((update, index) => ({ update, generation: generations[index]! }))))
  return final
}
