import type { Module } from 'vuex'
import type { PeopleResponse, Person } from '../api/users/schema'
import { apiErrorMessage, type ApiFetch } from './api'
import type { LoadStatus, RootState } from './types'

export interface UserState {
  people: Person[]
  status: LoadStatus
  error: string | null
}

export function userModule(api: ApiFetch): Module<UserState, RootState> {
  return {
    namespaced: true,
    state: () => ({ people: [], status: 'idle', error: null }),
    getters: {
      personCount: (state) => state.people.length,
    },
    mutations: {
      loading(state) {
        state.status = 'loading'
        state.error = null
      },
      loaded(state, people: Person[]) {
        state.people = people
        state.status = 'ready'
      },
      failed(state, message: string) {
        state.status = 'error'
        state.error = message
      },
    },
    actions: {
      async loadPeople({ commit }) {
        commit('loading')
        try {
          const { users } = await api<PeopleResponse>('/api/users')
          commit('loaded', users)
        } catch (err) {
          commit('failed', apiErrorMessage(err))
        }
      },
    },
  }
}
