import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { decodePhoto, nodeFaceRuntime } from '../../api/faces/node-runtime.js'
import { normalizePhoto } from '../../api/photos/image.js'
import { facesDir } from '../../tests/support/data.js'
import { descriptorEntry } from '../../tests/support/faces.js'
import type { FaceRuntime } from './enroll.js'
import type { FaceModel, PersonModel } from './model.js'
import { runTraining, trainPerson, type TrainingSteps } from './pipeline.js'
import { planTraining, type PhotoRef } from './training.js'

// Real photos through the real networks: the steps are what each trainer passes in, recorded.
const photoFiles: Record<string, string> = {
  'obama.jpg': 'people/barack_obama/obama.jpg',
  'obama1.jpg': 'people/barack_obama/obama1.jpg',
  'biden.jpg': 'people/joe_biden/biden.jpg',
}

describe('the training pipeline', () => {
  let runtime: FaceRuntime
  const stored = new Map<string, Buffer>()

  beforeAll(async () => {
    runtime = await nodeFaceRuntime()
    for (const [name, file] of Object.entries(photoFiles)) stored.set(name, await normalizePhoto(await readFile(path.join(facesDir, file)), file))
  }, 60_000)

  /** Steps that decode the stored photos (null for any other: unreadable) and record what the pipeline asked. */
  function recordingSteps(cancelAfter = Number.POSITIVE_INFINITY) {
    const events: string[] = []
    const saved: PersonModel[] = []
    let photos = 0
    const steps: TrainingSteps = {
      runtime: () => Promise.resolve(runtime),
      decode: async (photo) => {
        const bytes = stored.get(photo.photo)
        return bytes ? decodePhoto(bytes) : null
      },
      personStarted: (name) => events.push(`person ${name}`),
      photoDone: (photo) => {
        photos++
        events.push(`photo ${photo.photo}`)
      },
      canceled: () => photos >= cancelAfter,
      save: async (person) => {
        saved.push(person)
        events.push(`save ${person.name}`)
      },
      remove: async (name) => {
        events.push(`remove ${name}`)
      },
    }
    return { steps, events, saved }
  }

  const model: FaceModel = {
    version: 1,
    generation: 4,
    updatedAt: '2026-12-01T00:00:00.000Z',
    people: [
      { name: 'kit_harington', descriptors: [descriptorEntry('john1.jpeg', 1)], rejected: [] },
      { name: 'gone', descriptors: [descriptorEntry('gone.jpg', 2)], rejected: [] },
    ],
  }
  const photos: PhotoRef[] = [
    { person: 'barack_obama', photo: 'obama.jpg', hash: 'a' },
    { person: 'barack_obama', photo: 'obama1.jpg', hash: 'b' },
    { person: 'barack_obama', photo: 'missing.jpg', hash: 'c' },
    { person: 'joe_biden', photo: 'biden.jpg', hash: 'd' },
    // Up to date: the model has this photo with this hash, so it is not read again.
    { person: 'kit_harington', photo: 'john1.jpeg', hash: model.people[0]!.descriptors[0]!.hash },
  ]
  const registered = ['barack_obama', 'joe_biden', 'kit_harington']

  it('enrolls each new photo, saves each changed person once, as they are done, and then drops who left', async () => {
    const { steps, events, saved } = recordingSteps()
    const plan = planTraining(model, registered, photos, 'ssd_mobilenetv1')
    expect(await runTraining(plan, model, steps)).toEqual({ canceled: false })
    expect(events).toEqual([
      'person barack_obama',
      'photo obama.jpg',
      'photo obama1.jpg',
      'photo missing.jpg',
      'save barack_obama',
      'person joe_biden',
      'photo biden.jpg',
      'save joe_biden',
      'person kit_harington',
      'remove gone',
    ])
    const [obama, biden] = saved
    expect(obama!.descriptors.map((entry) => [entry.photo, entry.hash, entry.descriptor.length > 0])).toEqual([
      ['obama.jpg', 'a', true],
      ['obama1.jpg', 'b', true],
    ])
    expect(obama!.rejected).toEqual([{ photo: 'missing.jpg', hash: 'c', reason: 'unreadable', detail: 'The photo could not be read' }])
    expect(biden!.descriptors.map((entry) => entry.photo)).toEqual(['biden.jpg'])
  }, 60_000)

  it('stops when canceled, keeping and saving the photos done so far, and removes nobody', async () => {
    const { steps, events, saved } = recordingSteps(1)
    const plan = planTraining(model, registered, photos, 'ssd_mobilenetv1')
    expect(await runTraining(plan, model, steps)).toEqual({ canceled: true })
    expect(events).toEqual(['person barack_obama', 'photo obama.jpg', 'save barack_obama'])
    expect(saved[0]!.descriptors.map((entry) => entry.photo)).toEqual(['obama.jpg'])
  }, 60_000)

  it('adds photos to what a person had (upload-time training), asking for the networks only when a photo is read', async () => {
    const known: PersonModel = { name: 'barack_obama', descriptors: [descriptorEntry('old.jpg', 3)], rejected: [] }
    let asked = 0
    const steps = { ...recordingSteps().steps, runtime: () => (asked++, Promise.resolve(runtime)) }
    expect(await trainPerson(known, [], steps)).toEqual({ person: known, done: [] })
    expect(asked).toBe(0)
    const { person, done } = await trainPerson(known, [photos[0]!], steps)
    expect(done).toEqual([photos[0]])
    expect(person.descriptors.map((entry) => entry.photo)).toEqual(['old.jpg', 'obama.jpg'])
    expect(asked).toBeGreaterThan(0)
  }, 60_000)

  it('stops the run where the decoding step throws (npm run train, a photo removed meanwhile)', async () => {
    const steps: TrainingSteps = {
      ...recordingSteps().steps,
      decode: () => Promise.reject(new Error("barack_obama's photo obama.jpg was removed while training")),
    }
    const plan = planTraining(model, registered, photos, 'ssd_mobilenetv1')
    await expect(runTraining(plan, model, steps)).rejects.toThrow('was removed while training')
  })
})
