import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { useTestApi } from '../../tests/support/api.js'
import { facesDir } from '../../tests/support/data.js'
import { sendJson } from '../../tests/support/http.js'
import { PeopleResponseSchema, PersonSchema, UsersResponseSchema } from './schema.js'

async function uploadTo(url: string, route: string, method: 'POST' | 'PUT'): Promise<{ status: number; body: unknown }> {
  const photo = await readFile(path.join(facesDir, 'people/barack_obama/obama_small.jpg'))
  const form = new FormData()
  form.append('photos', new Blob([new Uint8Array(photo)], { type: 'image/jpeg' }), 'obama.jpg')
  const res = await fetch(`${url}${route}`, { method, body: form })
  return { status: res.status, body: await res.json() }
}

const storedPhotos = (body: unknown) => (body as { photos: { name: string }[] }).photos.map((photo) => photo.name)

describe('/api/users, the first name of /api/people', () => {
  const api = useTestApi()

  it('serves the same people as /api/people, its list answering { users } as it always did', async () => {
    const created = await sendJson(api.url, 'POST', '/api/users', { name: 'Ada Lovelace' })
    expect(created.status).toBe(201)
    expect(created.headers.location).toBe('/api/users/Ada%20Lovelace')
    expect((await sendJson(api.url, 'POST', '/api/people', { name: 'Grace Hopper' })).headers.location).toBe('/api/people/Grace%20Hopper')

    const users = UsersResponseSchema.parse((await sendJson(api.url, 'GET', '/api/users')).body)
    const people = PeopleResponseSchema.parse((await sendJson(api.url, 'GET', '/api/people')).body)
    expect(users.users.map((person) => person.name)).toEqual(['Ada Lovelace', 'Grace Hopper'])
    expect(users.users).toEqual(people.people)
    expect(people).not.toHaveProperty('users')
    expect(users).not.toHaveProperty('people')
  })

  it('takes, replaces and deletes photos, renames and deletes people, as /api/people does', async () => {
    const uploaded = await uploadTo(api.url, '/api/users/Ada%20Lovelace/photos', 'POST')
    expect(uploaded.status).toBe(201)
    const [first] = storedPhotos(uploaded.body)
    const replaced = await uploadTo(api.url, `/api/users/Ada%20Lovelace/photos/${encodeURIComponent(first!)}`, 'PUT')
    expect(replaced.status).toBe(200)
    const person = PersonSchema.parse((await sendJson(api.url, 'GET', '/api/people/Ada%20Lovelace')).body)
    expect(person.photoCount).toBe(1)
    expect(person.photos.map((photo) => photo.name)).not.toContain(first)

    const renamed = await sendJson(api.url, 'PATCH', '/api/users/Ada%20Lovelace', { name: 'Ada King' })
    expect(renamed.status).toBe(200)
    expect(PersonSchema.parse(renamed.body).name).toBe('Ada King')
    const [kept] = PersonSchema.parse(renamed.body).photos
    expect((await sendJson(api.url, 'DELETE', `/api/users/Ada%20King/photos/${encodeURIComponent(kept!.name)}`)).status).toBe(204)
    expect((await sendJson(api.url, 'DELETE', '/api/users/Ada%20King')).status).toBe(204)
    expect((await sendJson(api.url, 'GET', '/api/people/Ada%20King')).status).toBe(404)
    expect((await sendJson(api.url, 'GET', '/api/users/Nobody')).body).toMatchObject({ error: { code: 'person_not_found' } })
  })
})
