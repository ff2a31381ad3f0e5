import { afterSignIn, homeFor, signInPage, viewerPages } from '~/composables/access'
import { useAppStore } from '~/store'

/**
 * With authentication on, pages need a session: without one they lead to the sign-in page, and a
 * viewer is led from the admin's pages to Recognize. The API checks every request on its own;
 * this only spares people pages that could not load.
 */
export default defineNuxtRouteMiddleware(async (to) => {
  const store = useAppStore()
  // With sign-in off there is no session to ask for: everyone is an admin.
  if (!store.state.auth.loaded && !useRuntimeConfig().public.authEnabled) {
    store.commit('auth/session', { authEnabled: false, role: 'admin', expiresAt: null })
  }
  if (!store.state.auth.loaded) {
    // An API that cannot be reached shows as each page's own error.
    await store.dispatch('auth/loadSession').catch(() => {})
  }
  const { loaded, authEnabled, role } = store.state.auth
  if (to.path === signInPage) {
    if (loaded && !authEnabled) return navigateTo('/')
    return role ? navigateTo(afterSignIn(to.query.redirect, role)) : undefined
  }
  if (!authEnabled) return
  if (!role) return navigateTo({ path: signInPage, query: to.fullPath === '/' ? {} : { redirect: to.fullPath } })
  if (role === 'viewer' && !viewerPages.has(to.path)) return navigateTo(homeFor(role))
})
