import type { InjectionKey } from 'vue'
import { createStore, useStore as useVuexStore, type ModuleTree, type Store } from 'vuex'
import type { ApiFetch } from './api'
import { authModule } from './auth'
import { faceModule } from './face'
import type { RootState } from './types'
import { peopleModule } from './people'

export type AppStore = Store<RootState>
export type { RootState } from './types'

export const storeKey: InjectionKey<AppStore> = Symbol('facer-store')

/**
 * A new store for each server-side request (no state shared between users) and one
 * for the browser, which starts from the server's state.
 */
export function createAppStore(api: ApiFetch): AppStore {
  // The root state is made of its modules' states.
  const modules: ModuleTree<RootState> = { auth: authModule(api), people: peopleModule(api), face: faceModule(api) }
  return createStore<RootState>({ modules, strict: import.meta.env?.DEV === true })
}

export function useAppStore(): AppStore {
  return useVuexStore(storeKey)
}
