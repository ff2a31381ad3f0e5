import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { emptyModel, withPerson } from '../../../shared/face/model.js'
import { createDatabase } from '../../../tests/support/postgres.js'
import { openDatabase, migrate } from './pool.js'
import { postgresStorage, type PostgresStorage } from './storage.js'

describe('PostgreSQL storage', () => {
  let url: string
  const storages: PostgresStorage[] = []
  const open = () => {
    const storage = postgresStorage(url)
    storages.push(storage)
    return storage
  }

  beforeAll(async () => {
    url = await createDatabase(inject('postgresUrl'))
  })
  afterAll(async () => {
    await Promise.all(storages.map((storage) => storage.close()))
  })

  it('applies its migrations once, however many processes start together', async () => {
    const databases = Array.from({ length: 4 }, () => openDatabase(url))
    await Promise.all(databases.map((db) => db.pool().then(migrate)))
    const { rows } = await databases[0]!.query<{ version: number }>('SELECT version FROM schema_migrations')
    expect(rows.map((row) => row.version)).toEqual([1])
    await Promise.all(databases.map((db) => db.end()))
  })

  it('tells a storage on the same database of a change made through another', async () => {
    const [one, other] = [open(), open()]
    const heard: number[] = []
    const stop = other.watchModel((generation) => heard.push(generation))
    // The watcher's LISTEN is in place once a change it makes itself is heard.
    await other.change(async (change) => ({ model: { ...change.model, people: [], updatedAt: 'x' }, result: undefined }))
    await expect.poll(() => heard.length).toBe(1)
    const { model } = await one.change(async (change) => {
      await change.createPerson('Ada')
      return { model: { ...change.model, people: [{ name: 'Ada', descriptors: [], rejected: [] }] }, result: undefined }
    })
    await expect.poll(() => heard.at(-1)).toBe(model.generation)
    expect((await other.readModel()).people.map((person) => person.name)).toEqual(['Ada'])
    stop()
  })

  it('serializes changes made at once through two storages: each one builds on the last, none is lost', async () => {
    const [one, other] = [open(), open()]
    const start = (await one.readModel()).generation
    const names = Array.from({ length: 20 }, (_, index) => `Person ${String(index).padStart(2, '0')}`)
    const generations = await Promise.all(
      names.map(async (name, index) => {
        const { model } = await (index % 2 ? other : one).change(async (change) => {
          await change.createPerson(name)
          return { model: withPerson(change.model, { name, descriptors: [], rejected: [] }), result: undefined }
        })
        return model.generation
      }),
    )
    expect(generations.sort((a, b) => a - b)).toEqual(names.map((_, index) => start + index + 1))
    const final = await other.readModel()
    expect(final.people.map((person) => person.name).filter((name) => names.includes(name))).toEqual(names)
    expect((await one.listPeople()).map((person) => person.name).filter((name) => names.includes(name))).toEqual(names)
  })

  it('keeps nothing a failed change did: the person, their photos and the model roll back together', async () => {
    const storage = open()
    const before = await storage.readModel()
    const staged = await storage.stagePhotos([{ name: 'a.jpg', bytes: Buffer.from([0xff, 0xd8, 0xff]) }])
    await expect(
      storage.change(async (change) => {
        await change.createPerson('Grace')
        await change.placePhotos('Grace', staged.photos)
        await change.deletePerson('Nobody')
        return { model: emptyModel(), result: undefined }
      }),
    ).rejects.toThrow('expected a row that is not there')
    await staged.discard()
    await staged.discard()
    expect(await storage.person('Grace')).toBeUndefined()
    expect(await storage.readPhoto('Grace', 'a.jpg')).toBeUndefined()
    expect(await storage.readModel()).toEqual(before)
  })
})
