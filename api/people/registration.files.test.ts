// The list of people as the files backend reads it from DATA_DIR/users, with files and folders put
// there behind the API's back that are not people or photos. The rest is in users.test.ts.
import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { useTestApi } from '../../tests/support/api.js'
import { addFixturePhotos } from '../../tests/support/data.js'
import { PeopleResponseSchema } from './schema.js'

describe('GET /api/people, on the files', () => {
  const api = useTestApi()

  it('lists people by name with their photos, skipping anything that is not a stored photo', async () => {
    await addFixturePhotos(api.dataDir, 'Joe Biden', ['people/joe_biden/biden.jpg', 'people/joe_biden/biden2.jpg'])
    await addFixturePhotos(api.dataDir, 'barack_obama', ['people/barack_obama/obama.jpg'])
    await writeFile(path.join(api.dataDir, 'users', 'barack_obama', 'notes.txt'), 'not a photo')
    await mkdir(path.join(api.dataDir, 'users', '.tmp'), { recursive: true })
    // A deletion between its rename and its removal.
    await addFixturePhotos(api.dataDir, '.deleted-0123456789ab', ['people/barack_obama/obama.jpg'])

    const body = PeopleResponseSchema.parse(await (await fetch(`${api.url}/api/people`)).json())
    expect(body.people).toEqual([
      {
        name: 'barack_obama',
        photoCount: 1,
        photos: [{ name: 'photo-1.jpg', url: '/data/users/barack_obama/photo-1.jpg' }],
      },
      {
        name: 'Joe Biden',
        photoCount: 2,
        photos: [
          { name: 'photo-1.jpg', url: '/data/users/Joe%20Biden/photo-1.jpg' },
          { name: 'photo-2.jpg', url: '/data/users/Joe%20Biden/photo-2.jpg' },
        ],
      },
    ])
  })

  it('serves each listed photo as a JPEG', async () => {
    const res = await fetch(`${api.url}/data/users/Joe%20Biden/photo-2.jpg`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('image/jpeg')
  })
})
