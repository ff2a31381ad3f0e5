import { z } from 'zod'
import type { Role } from '../../shared/auth/roles.js'

export const maxPasswordLength = 1024

export const LoginBodySchema = z.strictObject({
  password: z
    .string({ error: 'Enter the password' })
    .min(1, 'Enter the password')
    .max(maxPasswordLength, `A password has at most ${maxPasswordLength} characters`),
})

export type LoginBody = z.infer<typeof LoginBodySchema>

/** Who the browser is signed in as. With authentication off, everyone is an admin. */
export interface SessionResponse {
  authEnabled: boolean
  role: Role | null
  /** ISO time the session ends; null when there is none or authentication is off. */
  expiresAt: string | null
}
