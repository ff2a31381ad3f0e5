import { constants } from 'node:fs'
import { access } from 'node:fs/promises'
import { Router } from 'express'
import type { AppConfig } from '../config.js'
import { appVersion } from '../paths.js'

export type DataDirStatus = 'writable' | 'read-only' | 'missing'

export interface Health {
  status: 'ok'
  version: string
  uptimeSeconds: number
  dataDir: DataDirStatus
}

async function dataDirStatus(dataDir: string): Promise<DataDirStatus> {
  try {
    await access(dataDir, constants.W_OK)
    return 'writable'
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : 'read-only'
  }
}

export function healthRouter(config: AppConfig): Router {
  const router = Router()
  router.get('/', async (_req, res) => {
    const health: Health = {
      status: 'ok',
      version: appVersion,
      uptimeSeconds: Math.round(process.uptime()),
      dataDir: await dataDirStatus(config.dataDir),
    }
    res.set('Cache-Control', 'no-store').json(health)
  })
  return router
}
