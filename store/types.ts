import type { AuthState } from './auth'
import type { FaceState } from './face'
import type { PeopleState } from './people'

export type LoadStatus = 'idle' | 'loading' | 'ready' | 'error'

export interface RootState {
  auth: AuthState
  people: PeopleState
  face: FaceState
}
