import type { Module } from 'vuex'
import type { SessionResponse } from '../api/auth/schema'
import type { Role } from '../shared/auth/roles'
import { apiErrorMessage, type ApiFetch } from './api'
import type { RootState } from './types'

export interface AuthState {
  /** False until the session has been asked for once (on the server, for the first page). */
  loaded: boolean
  authEnabled: boolean
  role: Role | null
}

/** A sign-in that failed, in words for the person signing in. */
export class SignInError extends Error {
  override name = 'SignInError'
}

export function authModule(api: ApiFetch): Module<AuthState, RootState> {
  return {
    namespaced: true,
    state: () => ({ loaded: false, authEnabled: false, role: null }),
    mutations: {
      session(state, session: SessionResponse) {
        state.loaded = true
        state.authEnabled = session.authEnabled
        state.role = session.role
      },
    },
    actions: {
      async loadSession({ commit }) {
        commit('session', await api<SessionResponse>('/api/auth/session'))
      },
      async signIn({ commit }, password: string): Promise<Role | null> {
        try {
          const session = await api<SessionResponse>('/api/auth/login', { method: 'POST', body: { password } })
          commit('session', session)
          return session.role
        } catch (err) {
          throw new SignInError(apiErrorMessage(err))
        }
      },
      async signOut() {
        await api('/api/auth/logout', { method: 'POST' })
      },
    },
  }
}
