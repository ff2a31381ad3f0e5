import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { descriptorEntry, faceModelOf, modelFileOf, personModel } from '../../tests/support/faces.js'
import { createTempDataDir, type TempDataDir } from '../../tests/support/data.js'
import { updateModel } from '../faces/service.js'
import { FilesStorage } from './files.js'

const withAda = (seed: number) => () => faceModelOf([personModel('Ada', [descriptorEntry('a1.jpg', seed)])])

/** Every generation a storage's listener heard, in order, and a way to stop listening. */
function heard(storage: FilesStorage): { generations: number[]; stop: () => void } {
  const generations: number[] = []
  return { generations, stop: storage.watchModel((generation) => generations.push(generation)) }
}

describe('watchModel on the files backend', () => {
  let data: TempDataDir | undefined
  const stops: (() => void)[] = []
  afterEach(async () => {
    for (const stop of stops.splice(0)) stop()
    await data?.remove()
  })

  it('tells each of two storages on one data folder of a change either makes, once per generation', async () => {
    data = await createTempDataDir()
    const first = new FilesStorage(data.path)
    const second = new FilesStorage(data.path)
    const onFirst = heard(first)
    const onSecond = heard(second)
    stops.push(onFirst.stop, onSecond.stop)

    await updateModel(second, withAda(1))
    await expect.poll(() => onFirst.generations).toEqual([1])
    expect(onSecond.generations).toEqual([1])

    await updateModel(first, withAda(2))
    await updateModel(first, withAda(3))
    await expect.poll(() => onSecond.generations.at(-1)).toBe(3)
    await expect.poll(() => onFirst.generations).toEqual([1, 2, 3])
    // The second may see the two writes as one replacement of the file: never a generation twice, never one back.
    expect(onSecond.generations).toEqual([...new Set(onSecond.generations)].sort((a, b) => a - b))
  })

  it('is not called for a write that changes nothing, nor for the model as it was when listening began', async () => {
    data = await createTempDataDir()
    const writer = new FilesStorage(data.path)
    await updateModel(writer, withAda(1))
    const reader = new FilesStorage(data.path)
    const onReader = heard(reader)
    stops.push(onReader.stop)
    await updateModel(writer, (model) => model)
    await updateModel(writer, withAda(2))
    await expect.poll(() => onReader.generations).toEqual([2])
  })

  it('reads the whole file where its head does not give the generation (a file written by hand, its fields in another order)', async () => {
    data = await createTempDataDir()
    const reader = new FilesStorage(data.path)
    const onReader = heard(reader)
    stops.push(onReader.stop)
    const { generation: _, ...rest } = faceModelOf([personModel('Ada', [descriptorEntry('a1.jpg', 1)])])
    await writeFile(modelFileOf(data.path), JSON.stringify({ people: rest.people, generation: 5, version: rest.version, updatedAt: rest.updatedAt }))
    await expect.poll(() => onReader.generations).toEqual([5])
  })

  it('finds a data folder made after listening began, by its poll', async () => {
    const parent = await createTempDataDir()
    data = parent
    const dataDir = path.join(parent.path, 'made-later')
    const reader = new FilesStorage(dataDir)
    const onReader = heard(reader)
    stops.push(onReader.stop)
    await updateModel(new FilesStorage(dataDir), withAda(1))
    await expect.poll(() => onReader.generations, { timeout: 10_000 }).toEqual([1])
  })

  it('keeps one watcher however many listen, and stops it when the last one stops', async () => {
    data = await createTempDataDir()
    const storage = new FilesStorage(data.path)
    const watch = (storage as unknown as { watch: { listening: boolean } }).watch
    const stopOne = storage.watchModel(() => {})
    const stopTwo = storage.watchModel(() => {})
    expect(watch.listening).toBe(true)
    stopOne()
    stopOne()
    expect(watch.listening).toBe(true)
    stopTwo()
    expect(watch.listening).toBe(false)
    const onStorage = heard(storage)
    stops.push(onStorage.stop)
    await updateModel(new FilesStorage(data.path), withAda(1))
    await expect.poll(() => onStorage.generations).toEqual([1])
  })
})
