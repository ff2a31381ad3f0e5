import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { afterAll, describe, expect, inject, it } from 'vitest'
import { withPerson } from '../../../shared/face/model.js'
import { addFixturePhotos, createTempDataDir, repoRoot, snapshotDir, type TempDataDir } from '../../../tests/support/data.js'
import { descriptorEntry, personModel, rejectedPhoto } from '../../../tests/support/faces.js'
import { createDatabase } from '../../../tests/support/postgres.js'
import { copyData } from '../copy.js'
import { modelFile } from '../model-file.js'

const run = promisify(execFile)

describe('copying data between a data folder and PostgreSQL', () => {
  const folders: TempDataDir[] = []
  const folder = async () => {
    const made = await createTempDataDir()
    folders.push(made)
    return made.path
  }
  afterAll(async () => {
    await Promise.all(folders.map((made) => made.remove()))
  })

  it('gives back, from files to PostgreSQL and back, a folder identical byte for byte', async () => {
    const original = await folder()
    await addFixturePhotos(original, 'Joe Biden', ['people/joe_biden/biden.jpg', 'people/joe_biden/biden2.jpg'])
    await addFixturePhotos(original, 'Zoë Ng', ['people/barack_obama/obama.jpg'])
    await addFixturePhotos(original, 'Nobody trained', ['people/barack_obama/obama_small.jpg'])
    const file = modelFile(original)
    await file.update((model) => withPerson(model, personModel('Joe Biden', [descriptorEntry('photo-1.jpg', 1)], [rejectedPhoto('photo-2.jpg')])))
    await file.update((model) => withPerson(model, personModel('Zoë Ng', [descriptorEntry('photo-1.jpg', 2)])))

    const database = await createDatabase(inject('postgresUrl'))
    const copy = await folder()
    await copyData(original, database)
    // Through the command, as an operator runs it.
    await run(process.execPath, ['--import', 'tsx', 'scripts/copy-data.ts', '--copy-data', database, copy], { cwd: repoRoot })

    expect(await snapshotDir(copy)).toEqual(await snapshotDir(original))
    expect((await modelFile(copy).read()).generation).toBe(2)
  })

  it('refuses to copy into a database or a folder that holds data already, changing neither', async () => {
    const source = await folder()
    await addFixturePhotos(source, 'Ada', ['people/barack_obama/obama.jpg'])
    const database = await createDatabase(inject('postgresUrl'))
    await copyData(source, database)
    await expect(copyData(source, database)).rejects.toThrow('The database holds people or a face model already')
    const target = await folder()
    await addFixturePhotos(target, 'Grace', ['people/joe_biden/biden.jpg'])
    const before = await snapshotDir(target)
    await expect(copyData(database, target)).rejects.toThrow('holds people or a face model already')
    expect(await snapshotDir(target)).toEqual(before)
    await expect(copyData(`${source}-mistyped`, await createDatabase(inject('postgresUrl')))).rejects.toThrow('is not a data folder')
  })
})
