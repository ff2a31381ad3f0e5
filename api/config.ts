import path from 'node:path'
import { z } from 'zod'

const port = z
  .string()
  .regex(/^\d{1,5}$/, 'must be a whole number from 0 to 65535')
  .transform(Number)
  .refine((value) => value <= 65535, 'must be a whole number from 0 to 65535')

const EnvSchema = z.object({
  PORT: port.optional(),
  HOST: z.string().trim().min(1, 'must not be empty').optional(),
  DATA_DIR: z.string().trim().min(1, 'must not be empty').optional(),
  SHUTDOWN_TIMEOUT_MS: z
    .string()
    .regex(/^\d+$/, 'must be a whole number of milliseconds')
    .transform(Number)
    .optional(),
})

export interface AppConfig {
  port: number
  host: string
  /** Absolute path of the folder that holds users' photos and faces.json. */
  dataDir: string
  shutdownTimeoutMs: number
}

export const defaultConfig: AppConfig = {
  port: 3000,
  // Local only by default: this app holds biometric data. Containers set HOST=0.0.0.0.
  host: '127.0.0.1',
  dataDir: path.resolve('data'),
  shutdownTimeoutMs: 10_000,
}

export class ConfigError extends Error {
  override name = 'ConfigError'
}

/** Reads the configuration from environment variables; throws a ConfigError naming every bad value. */
export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  defaults: Partial<AppConfig> = {},
): AppConfig {
  const parsed = EnvSchema.safeParse(env)
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${issue.path.join('.')}=${JSON.stringify(env[String(issue.path[0])])} ${issue.message}`,
    )
    throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`)
  }
  const base = { ...defaultConfig, ...defaults }
  const values = parsed.data
  return {
    port: values.PORT ?? base.port,
    host: values.HOST ?? base.host,
    dataDir: path.resolve(values.DATA_DIR ?? base.dataDir),
    shutdownTimeoutMs: values.SHUTDOWN_TIMEOUT_MS ?? base.shutdownTimeoutMs,
  }
}
