import path from 'node:path'
import { z } from 'zod'
import { parsePasswordHash, type PasswordHash } from './auth/password.js'
import type { Role } from '../shared/auth/roles.js'

const port = z
  .string()
  .regex(/^\d{1,5}$/, 'must be a whole number from 0 to 65535')
  .transform(Number)
  .refine((value) => value <= 65535, 'must be a whole number from 0 to 65535')

const wholeNumber = (unit: string) => z.string().regex(/^\d+$/, `must be a whole number of ${unit}`).transform(Number)

const password = z.string().min(8, 'must be at least 8 characters long').max(1024, 'must be at most 1024 characters long')

const passwordHash = z.string().transform((value, context) => {
  const parsed = parsePasswordHash(value)
  if (!parsed) context.addIssue({ code: 'custom', message: 'must be a hash from `npm run hash-password` (scrypt$N$r$p$salt$hash)' })
  return parsed ?? z.NEVER
})

// Express's own values: true, false, a number of hops, or addresses and subnets ("loopback", "10.0.0.0/8").
const trustProxy = z.string().transform((value): boolean | number | string => {
  if (value === 'true') return true
  if (value === 'false') return false
  return /^\d+$/.test(value) ? Number(value) : value
})

// Names only, no scheme or port: a Host header is accepted on any port.
const hostName = /^(?=.{1,253}$)[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*$/

// Empty means no names beside the defaults, as an `ALLOWED_HOSTS=` line in a compose file means.
const allowedHosts = z.string().transform((value, context) => {
  if (value.trim() === '') return []
  const names = value.split(',').map((name) => name.trim().toLowerCase())
  if (names.some((name) => !hostName.test(name))) {
    context.addIssue({ code: 'custom', message: 'must be host names separated by commas, without scheme or port (facer.example.com,facer.lan)' })
    return z.NEVER
  }
  return names
})

// Empty means unset, as a `DATABASE_URL=` line in a compose file means: the files backend.
const databaseUrl = z.string().trim().refine((value) => value === '' || /^postgres(ql)?:\/\/\S+$/.test(value), 'must be a postgres:// URL (postgres://user:password@host:5432/facer)')

const EnvSchema = z.object({
  PORT: port.optional(),
  HOST: z.string().trim().min(1, 'must not be empty').optional(),
  ALLOWED_HOSTS: allowedHosts.optional(),
  DATA_DIR: z.string().trim().min(1, 'must not be empty').optional(),
  DATABASE_URL: databaseUrl.optional(),
  SHUTDOWN_TIMEOUT_MS: wholeNumber('milliseconds').optional(),
  ADMIN_PASSWORD: password.optional(),
  ADMIN_PASSWORD_HASH: passwordHash.optional(),
  VIEWER_PASSWORD: password.optional(),
  VIEWER_PASSWORD_HASH: passwordHash.optional(),
  SESSION_TTL_MINUTES: wholeNumber('minutes')
    .refine((minutes) => minutes >= 1, 'must be at least 1 minute')
    .optional(),
  TRUST_PROXY: trustProxy.optional(),
  LOGIN_RATE_LIMIT: wholeNumber('attempts').optional(),
  UPLOAD_RATE_LIMIT: wholeNumber('uploads').optional(),
  EVENT_STREAMS_MAX: wholeNumber('streams').optional(),
  MATCH_ON_SERVER: z.enum(['0', '1'], { message: 'must be 1 (viewers match on the server only) or 0' }).optional(),
})

/** What a password is checked against: the password itself (from ADMIN_PASSWORD) or its scrypt hash. */
export type Credential = { password: string } | { hash: PasswordHash }

export interface AuthConfig {
  credentials: Partial<Record<Role, Credential>> & { admin: Credential }
  sessionTtlMs: number
}

export interface RateLimits {
  /** Failed logins per client in `loginWindowMs`; 0 turns the limit off. */
  login: number
  loginWindowMs: number
  /** Upload requests per client in `uploadWindowMs`; 0 turns the limit off. */
  upload: number
  uploadWindowMs: number
}

export interface AppConfig {
  port: number
  host: string
  /** Host names besides loopback and IP addresses that requests may name in `Host`, lower case. */
  allowedHosts: string[]
  /** Absolute path of the folder that holds users' photos and faces.json (with a database: uploads on their way in). */
  dataDir: string
  /** The PostgreSQL database that holds everything instead of the data folder; null for the files backend. */
  databaseUrl: string | null
  shutdownTimeoutMs: number
  /** Null when no password is set: the app is open to whoever reaches it. */
  auth: AuthConfig | null
  /** Express's `trust proxy`: which proxies' X-Forwarded-For/-Proto/-Host to believe. */
  trustProxy: boolean | number | string
  rateLimits: RateLimits
  /** Model event streams (`GET /api/faces/events`) one process keeps open at most; past it, 503. */
  eventStreamsMax: number
  /** Viewers match on the server only (`POST /api/faces/match`): the model itself is the admin's. */
  matchOnServer: boolean
}

export const defaultRateLimits: RateLimits = {
  login: 10,
  loginWindowMs: 15 * 60_000,
  upload: 120,
  uploadWindowMs: 60_000,
}

export const defaultConfig: AppConfig = {
  port: 3000,
  // Local only by default: this app holds biometric data. Containers set HOST=0.0.0.0.
  host: '127.0.0.1',
  allowedHosts: [],
  dataDir: path.resolve('data'),
  databaseUrl: null,
  shutdownTimeoutMs: 10_000,
  auth: null,
  trustProxy: false,
  rateLimits: defaultRateLimits,
  eventStreamsMax: 1000,
  matchOnServer: false,
}

const defaultSessionTtlMinutes = 12 * 60

export class ConfigError extends Error {
  override name = 'ConfigError'
}

type Env = z.infer<typeof EnvSchema>

function credential(plain: string | undefined, hash: PasswordHash | undefined): Credential | undefined {
  if (hash) return { hash }
  return plain === undefined ? undefined : { password: plain }
}

/** Problems a schema cannot see alone: two ways of giving one password, a viewer with no admin. */
function authProblems(values: Env): string[] {
  const problems: string[] = []
  if (values.ADMIN_PASSWORD !== undefined && values.ADMIN_PASSWORD_HASH) problems.push('set ADMIN_PASSWORD or ADMIN_PASSWORD_HASH, not both')
  if (values.VIEWER_PASSWORD !== undefined && values.VIEWER_PASSWORD_HASH) problems.push('set VIEWER_PASSWORD or VIEWER_PASSWORD_HASH, not both')
  const admin = values.ADMIN_PASSWORD !== undefined || values.ADMIN_PASSWORD_HASH
  const viewer = values.VIEWER_PASSWORD !== undefined || values.VIEWER_PASSWORD_HASH
  if (viewer && !admin) problems.push('VIEWER_PASSWORD needs ADMIN_PASSWORD (or ADMIN_PASSWORD_HASH) too')
  if (values.ADMIN_PASSWORD !== undefined && values.ADMIN_PASSWORD === values.VIEWER_PASSWORD) problems.push('VIEWER_PASSWORD must differ from ADMIN_PASSWORD')
  return problems
}

function authConfig(values: Env): AuthConfig | null {
  const admin = credential(values.ADMIN_PASSWORD, values.ADMIN_PASSWORD_HASH)
  if (!admin) return null
  const viewer = credential(values.VIEWER_PASSWORD, values.VIEWER_PASSWORD_HASH)
  return {
    credentials: viewer ? { admin, viewer } : { admin },
    sessionTtlMs: (values.SESSION_TTL_MINUTES ?? defaultSessionTtlMinutes) * 60_000,
  }
}

/** Reads the configuration from environment variables; throws a ConfigError naming every bad value. */
export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  defaults: Partial<AppConfig> = {},
): AppConfig {
  const parsed = EnvSchema.safeParse(env)
  if (!parsed.success) {
    // Passwords, their hashes and the database's URL (which may hold a password) are named, never echoed.
    const problems = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0])
      const shown = /PASSWORD|DATABASE_URL/.test(name) ? '' : `=${JSON.stringify(env[name])}`
      return `${issue.path.join('.')}${shown} ${issue.message}`
    })
    throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`)
  }
  const values = parsed.data
  const problems = authProblems(values)
  if (problems.length) throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`)
  const base = { ...defaultConfig, ...defaults }
  return {
    port: values.PORT ?? base.port,
    host: values.HOST ?? base.host,
    allowedHosts: values.ALLOWED_HOSTS ?? base.allowedHosts,
    dataDir: path.resolve(values.DATA_DIR ?? base.dataDir),
    databaseUrl: values.DATABASE_URL || base.databaseUrl,
    shutdownTimeoutMs: values.SHUTDOWN_TIMEOUT_MS ?? base.shutdownTimeoutMs,
    auth: authConfig(values) ?? base.auth,
    trustProxy: values.TRUST_PROXY ?? base.trustProxy,
    rateLimits: {
      ...base.rateLimits,
      login: values.LOGIN_RATE_LIMIT ?? base.rateLimits.login,
      upload: values.UPLOAD_RATE_LIMIT ?? base.rateLimits.upload,
    },
    eventStreamsMax: values.EVENT_STREAMS_MAX ?? base.eventStreamsMax,
    matchOnServer: values.MATCH_ON_SERVER === undefined ? base.matchOnServer : values.MATCH_ON_SERVER === '1',
  }
}
