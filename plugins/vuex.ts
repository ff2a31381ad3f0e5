import { createAppStore, storeKey, type RootState } from '~/store'
import type { ApiFetch } from '~/store/api'

export default defineNuxtPlugin((nuxtApp) => {
  // During server-side rendering `/api` is Express, not Nitro: reach it by its own address.
  const baseURL = import.meta.server ? useRuntimeConfig().apiInternalBase : undefined
  const api = $fetch.create({ baseURL }) as ApiFetch
  const store = createAppStore(api)
  nuxtApp.vueApp.use(store, storeKey)

  if (import.meta.server) {
    nuxtApp.hooks.hook('app:rendered', () => {
      nuxtApp.payload.vuex = store.state
    })
  } else if (nuxtApp.payload.vuex) {
    store.replaceState(nuxtApp.payload.vuex as RootState)
  }
  return { provide: { api } }
})
