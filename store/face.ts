import type { Module } from 'vuex'
import { summarizeModel, type ClosePair, type PersonSummary } from '../shared/face/training'
import { apiErrorMessage, readFaceModel, type ApiFetch } from './api'
import type { LoadStatus, RootState } from './types'

export interface ModelSummary {
  generation: number
  updatedAt: string
  people: PersonSummary[]
  closest: ClosePair[]
}

export interface FaceState {
  models: {
    status: LoadStatus
    loaded: number
    total: number
    backend: string | null
    error: string | null
  }
  /** What the saved face model holds, per person: small enough for the page payload. */
  summary: ModelSummary | null
  summaryError: string | null
}

export interface ModelProgress {
  loaded: number
  total: number
}

export function faceModule(api: ApiFetch): Module<FaceState, RootState> {
  return {
    namespaced: true,
    state: () => ({
      models: { status: 'idle', loaded: 0, total: 0, backend: null, error: null },
      summary: null,
      summaryError: null,
    }),
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
      summaryLoaded(state, summary: ModelSummary) {
        state.summary = summary
        state.summaryError = null
      },
      summaryFailed(state, message: string) {
        state.summaryError = message
      },
    },
    actions: {
      async loadSummary({ commit }) {
        try {
          const model = await readFaceModel(api)
          commit('summaryLoaded', { generation: model.generation, updatedAt: model.updatedAt, ...summarizeModel(model) })
        } catch (err) {
          commit('summaryFailed', apiErrorMessage(err))
        }
      },
    },
  }
}
