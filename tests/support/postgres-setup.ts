// Vitest globalSetup: one PostgreSQL server for the whole run, its URL given to the tests as
// inject('postgresUrl'); each test file makes its own databases on it (createDatabase).
import type { TestProject } from 'vitest/node'
import { startPostgres } from './postgres.js'

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await startPostgres()
  project.provide('postgresUrl', server.url)
  return () => server.stop()
}
