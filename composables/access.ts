import type { Role } from '~/shared/auth/roles'

export const signInPage = '/login'

/** The pages a viewer may open; every other page is the admin's. */
export const viewerPages: ReadonlySet<string> = new Set(['/recognize'])

export function homeFor(role: Role): string {
  return role === 'viewer' ? '/recognize' : '/'
}

/** Where to go after signing in: a path of this site only, never another site's address. */
export function afterSignIn(redirect: unknown, role: Role): string {
  const target = typeof redirect === 'string' && /^\/(?![/\\])/.test(redirect) ? redirect : homeFor(role)
  const path = target.split(/[?#]/)[0] ?? ''
  return role === 'admin' || viewerPages.has(path) ? target : homeFor(role)
}
