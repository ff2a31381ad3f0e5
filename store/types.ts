import type { AuthState } from './auth'
import type { FaceState } from './face'
import type { UserState } from './user'

export type LoadStatus = 'idle' | 'loading' | 'ready' | 'error'

export interface RootState {
  auth: AuthState
  user: UserState
  face: FaceState
}
