import { randomBytes } from 'node:crypto'
import { rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { Router } from 'express'
import type { AppConfig } from '../config.js'
import type { ErrorBody } from '../errors.js'
import { log } from '../logging.js'
import { appVersion } from '../paths.js'

export type DataDirStatus = 'writable' | 'read-only' | 'missing'

export interface Health {
  status: 'ok'
  version: string
  uptimeSeconds: number
  dataDir: DataDirStatus
  /** Whether faces are matched on the server only (MATCH_ON_SERVER): the Recognize page then downloads no model. */
  matchOnServer: boolean
}

export interface Readiness {
  status: 'ready'
}

interface DataDirProbe {
  status: DataDirStatus
  /** The error code of a failed write (EACCES, EROFS, ENOSPC…): for the server log only. */
  cause?: string
}

/**
 * Writes and removes a small file in the data folder. access(W_OK) is not enough: it says yes
 * to root on a folder whose mode forbids writing, and knows nothing of a full disk.
 */
async function probeDataDir(dataDir: string): Promise<DataDirProbe> {
  const probe = path.join(dataDir, `.probe-${process.pid}-${randomBytes(4).toString('hex')}`)
  try {
    await writeFile(probe, '', { flag: 'wx' })
    await rm(probe, { force: true })
    return { status: 'writable' }
  } catch (err) {
    const cause = (err as NodeJS.ErrnoException).code ?? String(err)
    return { status: cause === 'ENOENT' || cause === 'ENOTDIR' ? 'missing' : 'read-only', cause }
  }
}

const notReadyMessages: Record<Exclude<DataDirStatus, 'writable'> | 'database-unreachable', string> = {
  'database-unreachable': 'The server cannot reach its database (DATABASE_URL)',
  missing: 'The data folder does not exist',
  'read-only': 'The data folder cannot be written to',
}

/**
 * `GET /api/health` is liveness: 200 while the process can answer at all. `GET /api/health/ready`
 * is readiness: 503 while the data folder cannot take uploads, so a balancer sends no one here.
 */
/**
 * `reachStore` fails when the backend's store cannot be reached (a database that is down): the
 * host is not ready either, however writable its data folder.
 */
export function healthRouter(config: AppConfig, reachStore: () => Promise<void> = async () => {}): Router {
  const router = Router()
  let lastReady: DataDirStatus | 'database-unreachable' | undefined

  router.get('/', async (_req, res) => {
    const health: Health = {
      status: 'ok',
      version: appVersion,
      uptimeSeconds: Math.round(process.uptime()),
      dataDir: (await probeDataDir(config.dataDir)).status,
      matchOnServer: config.matchOnServer,
    }
    res.set('Cache-Control', 'no-store').json(health)
  })

  router.get('/ready', async (_req, res) => {
    const probe = await probeDataDir(config.dataDir)
    const store = probe.status === 'writable' ? await reachStore().then(() => undefined, (err: unknown) => String(err)) : undefined
    const status: DataDirStatus | 'database-unreachable' = store ? 'database-unreachable' : probe.status
    const cause = store ?? probe.cause
    // Probes repeat every few seconds: the log says when readiness changes, not each time.
    if (status !== lastReady && (status !== 'writable' || lastReady !== undefined)) {
      log(status === 'writable' ? 'info' : 'warn', 'readiness', { dataDir: config.dataDir, status, cause })
    }
    lastReady = status
    res.set('Cache-Control', 'no-store')
    if (status === 'writable') {
      const body: Readiness = { status: 'ready' }
      res.json(body)
      return
    }
    const body: ErrorBody = { error: { code: 'not_ready', message: notReadyMessages[status] } }
    res.status(503).json(body)
  })

  return router
}
