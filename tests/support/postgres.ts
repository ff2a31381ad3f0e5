// A real PostgreSQL server for the tests, from the machine's own binaries: a cluster initialized in a
// temp folder, listening on a free loopback port with trust auth, stopped and removed at the end.
// Run as the `postgres` user when the tests run as root (the server refuses root); otherwise as the
// user running the tests, who then owns the cluster.
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, readdirSync } from 'node:fs'
import { chown, mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import pg from 'pg'
import { freePort } from './ports.js'
import { ensureProgram } from './system.js'

export interface PostgresServer {
  /** The `postgres` database of the server, for making test databases in. */
  url: string
  stop(): Promise<void>
}

/** The newest installed server's bin folder (Debian: /usr/lib/postgresql/<major>/bin), or the one initdb is on PATH in. */
function binDir(): string {
  const debian = '/usr/lib/postgresql'
  const majors = existsSync(debian) ? readdirSync(debian).filter((name) => existsSync(path.join(debian, name, 'bin/initdb'))) : []
  const newest = majors.sort((a, b) => Number(b) - Number(a))[0]
  if (newest) return path.join(debian, newest, 'bin')
  const onPath = execFileSync('sh', ['-c', 'command -v initdb || true'], { encoding: 'utf8' }).trim()
  if (onPath) return path.dirname(onPath)
  ensureProgram('initdb', 'postgresql', 'The tests need the PostgreSQL server binaries (initdb, pg_ctl)')
  return binDir()
}

/** The server refuses to run as root: as root, its commands run as `postgres`. */
function asServerUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim())
  return { uid: id('-u'), gid: id('-g') }
}

export async function startPostgres(): Promise<PostgresServer> {
  const bin = binDir()
  const user = asServerUser()
  const run = (program: string, args: string[]) => {
    const command = user ? ['runuser', '-u', 'postgres', '--', path.join(bin, program), ...args] : [path.join(bin, program), ...args]
    execFileSync(command[0]!, command.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], cwd: os.tmpdir() })
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), 'facer-postgres-'))
  if (user) await chown(dir, user.uid, user.gid)
  const data = path.join(dir, 'data')
  const port = await freePort()
  try {
    run('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8', '--locale=C'])
    // Durability is not what the tests are about: fsync off keeps a busy machine's disk out of it.
    const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300`
    run('pg_ctl', ['start', '-w', '-t', '60', '-D', data, '-l', path.join(dir, 'server.log'), '-o', options])
  } catch (err) {
    await rm(dir, { recursive: true, force: true })
    const output = (err as { stderr?: Buffer }).stderr?.toString() ?? ''
    throw new Error(`Could not start a test PostgreSQL server: ${(err as Error).message}\n${output}`)
  }
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async stop() {
      try {
        run('pg_ctl', ['stop', '-D', data, '-m', 'immediate'])
      } finally {
        await rm(dir, { recursive: true, force: true })
      }
    },
  }
}

/** A new, empty database on the server at `serverUrl`: its URL. */
export async function createDatabase(serverUrl: string): Promise<string> {
  const name = `facer_${randomBytes(6).toString('hex')}`
  const client = new pg.Client({ connectionString: serverUrl })
  await client.connect()
  try {
    await client.query(`CREATE DATABASE ${name}`)
  } finally {
    await client.end()
  }
  const url = new URL(serverUrl)
  url.pathname = `/${name}`
  return url.href
}
