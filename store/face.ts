import type { Module } from 'vuex'
import type { LoadStatus, RootState } from './types'

export interface FaceState {
  models: {
    status: LoadStatus
    loaded: number
    total: number
    backend: string | null
    error: string | null
  }
}

export interface ModelProgress {
  loaded: number
  total: number
}

export const faceModule: Module<FaceState, RootState> = {
  namespaced: true,
  state: () => ({ models: { status: 'idle', loaded: 0, total: 0, backend: null, error: null } }),
  getters: {
    modelsReady: (state) => state.models.status === 'ready',
  },
  mutations: {
    modelsLoading(state, progress: ModelProgress) {
      state.models = { ...state.models, ...progress, status: 'loading', error: null }
    },
    modelsLoaded(state, backend: string) {
      state.models = { ...state.models, status: 'ready', loaded: state.models.total, backend }
    },
    modelsFailed(state, message: string) {
      state.models = { ...state.models, status: 'error', error: message }
    },
  },
}
