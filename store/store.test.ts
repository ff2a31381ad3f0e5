import { ofetch } from 'ofetch'
import { beforeAll, describe, expect, it } from 'vitest'
import { useTestApi } from '../tests/support/api.js'
import { addFixturePhotos } from '../tests/support/data.js'
import type { ApiFetch } from './api.js'
import { createAppStore } from './index.js'

describe('the app store', () => {
  const server = useTestApi((dataDir) =>
    addFixturePhotos(dataDir, 'rose_leslie', ['people/rose_leslie/rose_leslie_img1.jpg']),
  )
  let api: ApiFetch

  beforeAll(() => {
    api = ofetch.create({ baseURL: server.url }) as ApiFetch
  })

  it('gives every request its own state', async () => {
    const first = createAppStore(api)
    const second = createAppStore(api)
    await first.dispatch('people/loadPeople')
    first.commit('face/modelsLoading', { loaded: 2, total: 5 })

    expect(first.state.people.list.map((person) => person.name)).toEqual(['rose_leslie'])
    expect(first.state.people.status).toBe('ready')
    expect(first.state.face.models).toMatchObject({ status: 'loading', loaded: 2, total: 5 })
    expect(second.state.people).toEqual({ list: [], status: 'idle', error: null })
    expect(second.state.face.models.status).toBe('idle')
  })

  it('hydrates a browser store from the server state, through JSON', async () => {
    const server = createAppStore(api)
    await server.dispatch('people/loadPeople')
    const browser = createAppStore(api)
    browser.replaceState(JSON.parse(JSON.stringify(server.state)))
    expect(browser.state.people.list).toEqual(server.state.people.list)
    expect(browser.state.people.list).toHaveLength(1)
  })

  it('turns an API failure into a message for the user', async () => {
    const store = createAppStore(ofetch.create({ baseURL: 'http://127.0.0.1:9' }) as ApiFetch)
    await store.dispatch('people/loadPeople')
    expect(store.state.people.status).toBe('error')
    expect(store.state.people.error).toBe('The server could not be reached. Check that facer is running and try again.')
  })

  it('tracks model loading to ready and to failure', () => {
    const store = createAppStore(api)
    store.commit('face/modelsLoading', { loaded: 0, total: 5 })
    store.commit('face/modelsLoaded', 'wasm')
    expect(store.state.face.models).toEqual({ status: 'ready', loaded: 5, total: 5, backend: 'wasm', error: null })
    store.commit('face/modelsFailed', 'offline')
    expect(store.state.face.models).toMatchObject({ status: 'error', error: 'offline' })
  })
})
