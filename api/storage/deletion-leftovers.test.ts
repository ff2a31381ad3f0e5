import { mkdir, readdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startApi } from '../../tests/support/api.js'
import { addFixturePhotos, createTempDataDir, snapshotDir, type TempDataDir } from '../../tests/support/data.js'
import { PeopleResponseSchema } from '../people/schema.js'
import { filesStorage } from './files.js'
import { removeDeletionLeftovers } from './people-folders.js'
import { deletePerson } from '../people/service.js'

// Named as deletePerson names them: `.deleted-` and 12 hex digits.
const leftovers = ['.deleted-0123456789ab', '.deleted-fedcba987654']

/** A folder as a deletion interrupted after its rename leaves it: a person's photos, and deeper folders too. */
async function addLeftover(dataDir: string, name: string): Promise<void> {
  await addFixturePhotos(dataDir, name, ['people/joe_biden/biden.jpg', 'people/joe_biden/biden2.jpg'])
  await mkdir(path.join(dataDir, 'users', name, 'nested', 'deeper'), { recursive: true })
  await writeFile(path.join(dataDir, 'users', name, 'nested', 'deeper', 'notes.txt'), 'left behind')
}

const usersIn = (dataDir: string) => readdir(path.join(dataDir, 'users'))

let data: TempDataDir

beforeEach(async () => {
  data = await createTempDataDir()
})
afterEach(async () => {
  await data.remove()
})

describe('removeDeletionLeftovers', () => {
  it('removes the folders interrupted deletions left, and nothing else', async () => {
    await addFixturePhotos(data.path, 'Ada Lovelace', ['people/barack_obama/obama.jpg'])
    // A valid name for a person: no leading dot.
    await addFixturePhotos(data.path, 'deleted-0123456789ab', ['people/rose_leslie/rose_leslie_img1.jpg'])
    for (const name of leftovers) await addLeftover(data.path, name)
    // Not what deletePerson makes: too short, upper case, a file, outside the users folder, inside a person's folder.
    await mkdir(path.join(data.path, 'users', '.deleted-abc123'))
    await mkdir(path.join(data.path, 'users', '.deleted-0123456789AB'))
    await writeFile(path.join(data.path, 'users', '.deleted-89abcdef0123'), 'a file')
    await mkdir(path.join(data.path, '.deleted-0123456789ab'))
    await mkdir(path.join(data.path, 'users', 'Ada Lovelace', '.deleted-0123456789ab'))
    await mkdir(path.join(data.path, 'users', '.tmp'))
    await writeFile(path.join(data.path, 'faces.json'), '{}')
    const before = await snapshotDir(data.path)

    expect(await removeDeletionLeftovers(data.path)).toBe(leftovers.length)

    const swept = (file: string) => leftovers.some((name) => file === path.join('users', name) || file.startsWith(path.join('users', name, path.sep)))
    expect(Object.keys(before).filter(swept)).toHaveLength(leftovers.length * 6)
    expect(await snapshotDir(data.path)).toEqual(Object.fromEntries(Object.entries(before).filter(([file]) => !swept(file))))
  })

  it('finds nothing to remove without a users folder, or without a data folder', async () => {
    expect(await removeDeletionLeftovers(data.path)).toBe(0)
    expect(await removeDeletionLeftovers(path.join(data.path, 'not-there'))).toBe(0)
  })

  it('runs alongside other sweeps and a deletion, as PM2 workers starting at once on one data folder do', async () => {
    await addFixturePhotos(data.path, 'Ada Lovelace', ['people/barack_obama/obama.jpg'])
    await addFixturePhotos(data.path, 'Grace Hopper', ['people/rose_leslie/rose_leslie_img1.jpg'])
    for (let index = 0; index < 16; index++) await addLeftover(data.path, `.deleted-${index.toString(16).padStart(12, '0')}`)
    const leftoversOnDisk = async () => (await usersIn(data.path)).filter((name) => name.startsWith('.deleted-')).length

    const work = [deletePerson(filesStorage(data.path), 'Grace Hopper')]
    // Each sweep starts once those before it have removed a folder: some that it lists are then gone when it gets to them.
    for (let left = await leftoversOnDisk(); left > 0 && work.length <= 4; left = await leftoversOnDisk()) {
      work.push(removeDeletionLeftovers(data.path).then(() => {}))
      await expect.poll(leftoversOnDisk, { interval: 2 }).toBeLessThan(left)
    }
    await Promise.all(work)

    expect(await usersIn(data.path)).toEqual(['Ada Lovelace'])
  })
})

describe('API start-up', () => {
  it('removes the folders interrupted deletions left, and lists only the people', async () => {
    await addFixturePhotos(data.path, 'Ada Lovelace', ['people/barack_obama/obama.jpg'])
    await addLeftover(data.path, leftovers[0]!)
    const api = await startApi(data.path)
    try {
      await expect.poll(() => usersIn(data.path)).toEqual(['Ada Lovelace'])
      const { people } = PeopleResponseSchema.parse(await (await fetch(`${api.url}/api/people`)).json())
      expect(people.map((person) => person.name)).toEqual(['Ada Lovelace'])
    } finally {
      await api.close()
    }
  })

  it('serves even when the sweep fails', async () => {
    // The users folder is a file: the sweep cannot read it. Had its failure been left unhandled, this run would fail.
    await writeFile(path.join(data.path, 'users'), 'not a folder')
    const api = await startApi(data.path)
    try {
      expect((await fetch(`${api.url}/api/health`)).status).toBe(200)
    } finally {
      await api.close()
    }
  })
})
