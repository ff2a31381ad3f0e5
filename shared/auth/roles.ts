// Shared by the API and the browser: who may do what.

/** An admin manages people, photos and the face model; a viewer only recognizes. */
export type Role = 'admin' | 'viewer'
