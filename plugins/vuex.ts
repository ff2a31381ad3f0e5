import { createAppStore, storeKey, type RootState } from '~/store'
import type { ApiFetch } from '~/store/api'

export default defineNuxtPlugin((nuxtApp) => {
  // During server-side rendering `/api` is Express, not Nitro: reach it by its own address, with
  // the browser's session cookie, so that the API answers as it would answer the browser.
  const baseURL = import.meta.server ? useRuntimeConfig().apiInternalBase : undefined
  const headers = import.meta.server ? useRequestHeaders(['cookie']) : undefined
  const api = $fetch.create({ baseURL, headers }) as ApiFetch
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
