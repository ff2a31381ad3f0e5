// compose.yaml, checked here as `docker compose config` would need a Docker client with compose:
// the app on PostgreSQL 15, which keeps its data in a volume and is healthy before the app starts.
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { z } from 'zod'
import { loadConfig } from '../../api/config.js'
import { repoRoot } from '../support/data.js'

const ComposeSchema = z.object({
  services: z.object({
    app: z.object({
      build: z.literal('.'),
      environment: z.record(z.string(), z.string()),
      depends_on: z.object({ postgres: z.object({ condition: z.literal('service_healthy') }) }),
    }),
    postgres: z.object({
      image: z.literal('postgres:15'),
      environment: z.object({ POSTGRES_USER: z.string(), POSTGRES_DB: z.string(), POSTGRES_PASSWORD: z.string() }),
      volumes: z.array(z.string()),
      healthcheck: z.object({ test: z.array(z.string()) }),
    }),
  }),
  volumes: z.record(z.string(), z.unknown()),
})

/** What compose makes of `${NAME:?message}` and `${NAME:-default}` with these variables set. */
const substitute = (text: string, variables: Record<string, string>) =>
  text.replace(/\$\{(\w+)(?::[?-][^}]*)?\}/g, (_match, name: string) => variables[name] ?? '')

describe('compose.yaml', () => {
  it('runs the app on a healthy postgres:15 whose data is in a named volume, through DATABASE_URL', async () => {
    const text = await readFile(path.join(repoRoot, 'compose.yaml'), 'utf8')
    const compose = ComposeSchema.parse(parse(substitute(text, { POSTGRES_PASSWORD: 'secret', ADMIN_PASSWORD: 'admin password' })))
    const { app, postgres } = compose.services

    const [volume, mountPoint] = postgres.volumes[0]!.split(':') as [string, string]
    expect(mountPoint).toBe('/var/lib/postgresql/data')
    expect(Object.keys(compose.volumes)).toContain(volume)
    expect(postgres.healthcheck.test.join(' ')).toContain(`pg_isready -U ${postgres.environment.POSTGRES_USER} -d ${postgres.environment.POSTGRES_DB}`)

    const url = new URL(app.environment.DATABASE_URL!)
    expect({ host: url.hostname, user: url.username, password: url.password, database: url.pathname.slice(1) }).toEqual({
      host: 'postgres',
      user: postgres.environment.POSTGRES_USER,
      password: postgres.environment.POSTGRES_PASSWORD,
      database: postgres.environment.POSTGRES_DB,
    })
    // The app accepts its environment as compose gives it.
    expect(loadConfig(app.environment).databaseUrl).toBe(app.environment.DATABASE_URL)
  })

  it('asks for the passwords rather than starting without them', async () => {
    const text = await readFile(path.join(repoRoot, 'compose.yaml'), 'utf8')
    expect(text).toContain('${POSTGRES_PASSWORD:?')
    expect(text).toContain('${ADMIN_PASSWORD:?')
  })
})
