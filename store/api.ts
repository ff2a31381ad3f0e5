import type { ErrorBody } from '../api/errors'
import type { FaceModel } from '../shared/face/model'

/** The one way store actions reach the API: `$fetch` with the right base URL for server or browser. */
export type ApiFetch = <T>(path: string, options?: { method?: string; body?: unknown }) => Promise<T>

/** A sentence for the person using the app, from an API error envelope, a network failure or another error. */
export function apiErrorMessage(err: unknown): string {
  const body = (err as { data?: Partial<ErrorBody> } | null)?.data
  if (body?.error?.message) return body.error.message
  if (err instanceof Error && err.name !== 'FetchError') return err.message
  return 'The server could not be reached. Check that facer is running and try again.'
}

/** The face model as the API serves it (admins only, once sign-in is on): every page and the store read it here. */
export function readFaceModel(api: ApiFetch): Promise<FaceModel> {
  return api<FaceModel>('/api/faces')
}
