import type { Module } from 'vuex'
import type { MovePhotoResponse } from '../api/photos/schema'
import type { PeopleResponse, Person } from '../api/people/schema'
import { apiErrorMessage, type ApiFetch } from './api'
import type { LoadStatus, RootState } from './types'

export interface PeopleState {
  list: Person[]
  status: LoadStatus
  error: string | null
}

/** An API failure turned into words for the person using the app. */
export class PersonActionError extends Error {
  override name = 'PersonActionError'
  /** The API's HTTP status, where there was an answer: a page shows 404 for a person who is not there. */
  constructor(
    message: string,
    readonly statusCode?: number,
  ) {
    super(message)
  }
}

function byName(a: Person, b: Person): number {
  return a.name.localeCompare(b.name)
}

const path = (name: string) => `/api/people/${encodeURIComponent(name)}`

export function peopleModule(api: ApiFetch): Module<PeopleState, RootState> {
  async function call<T>(request: () => Promise<T>): Promise<T> {
    try {
      return await request()
    } catch (err) {
      throw new PersonActionError(apiErrorMessage(err), (err as { statusCode?: number } | null)?.statusCode)
    }
  }

  return {
    namespaced: true,
    state: () => ({ list: [], status: 'idle', error: null }),
    mutations: {
      loading(state) {
        state.status = 'loading'
        state.error = null
      },
      loaded(state, people: Person[]) {
        state.list = people
        state.status = 'ready'
      },
      failed(state, message: string) {
        state.status = 'error'
        state.error = message
      },
      /** Adds or replaces one person (`previousName` when they were renamed). */
      personSaved(state, { person, previousName }: { person: Person; previousName?: string }) {
        const replaced = previousName ?? person.name
        state.list = [...state.list.filter((other) => other.name !== replaced), person].sort(byName)
      },
      personRemoved(state, name: string) {
        state.list = state.list.filter((person) => person.name !== name)
      },
    },
    actions: {
      async loadPeople({ commit }) {
        commit('loading')
        try {
          const { people } = await api<PeopleResponse>('/api/people')
          commit('loaded', people)
        } catch (err) {
          commit('failed', apiErrorMessage(err))
        }
      },
      async loadPerson({ commit }, name: string): Promise<Person> {
        const person = await call(() => api<Person>(path(name)))
        commit('personSaved', { person })
        return person
      },
      async registerPerson({ commit }, name: string): Promise<Person> {
        const person = await call(() => api<Person>('/api/people', { method: 'POST', body: { name } }))
        commit('personSaved', { person })
        return person
      },
      async renamePerson({ commit }, { from, to }: { from: string; to: string }): Promise<Person> {
        const person = await call(() => api<Person>(path(from), { method: 'PATCH', body: { name: to } }))
        commit('personSaved', { person, previousName: from })
        return person
      },
      async deletePerson({ commit }, name: string): Promise<void> {
        await call(() => api(path(name), { method: 'DELETE' }))
        commit('personRemoved', name)
      },
      async deletePhoto({ dispatch }, { person, photo }: { person: string; photo: string }): Promise<void> {
        await call(() => api(`${path(person)}/photos/${encodeURIComponent(photo)}`, { method: 'DELETE' }))
        await Promise.all([dispatch('loadPerson', person), dispatch('face/loadSummary', undefined, { root: true })])
      },
      /** A photo flagged as someone else's look-alike is this person's after all; `generation`: the model the flag was read from. */
      async confirmPhoto({ dispatch }, { person, photo, generation }: { person: string; photo: string; generation: number }): Promise<void> {
        const url = `/api/faces/people/${encodeURIComponent(person)}/photos/${encodeURIComponent(photo)}/confirm`
        await call(() => api(url, { method: 'POST', body: { generation } }))
        await dispatch('face/loadSummary', undefined, { root: true })
      },
      /** Gives a photo, with its descriptor, to the person it belongs to. */
      async movePhoto({ commit, dispatch }, { person, photo, to, generation }: { person: string; photo: string; to: string; generation: number }): Promise<void> {
        const url = `${path(person)}/photos/${encodeURIComponent(photo)}/move`
        const moved = await call(() => api<MovePhotoResponse>(url, { method: 'POST', body: { to, generation } }))
        commit('personSaved', { person: moved.from })
        commit('personSaved', { person: moved.to })
        await dispatch('face/loadSummary', undefined, { root: true })
      },
    },
  }
}
