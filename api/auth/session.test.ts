import { stat } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createTempDataDir, listFiles, type TempDataDir } from '../../tests/support/data.js'
import type { AuthConfig } from '../config.js'
import { authDirName, SessionKeeper } from './session.js'

const auth: AuthConfig = {
  credentials: { admin: { password: 'admin-secret' }, viewer: { password: 'viewer-secret' } },
  sessionTtlMs: 60_000,
}

describe('sessions', () => {
  let data: TempDataDir
  beforeEach(async () => {
    data = await createTempDataDir()
  })
  afterEach(async () => {
    await data.remove()
  })

  it('are accepted by every process on the data folder, which all make and share one secret, readable by the owner only', async () => {
    const processes = Array.from({ length: 4 }, () => new SessionKeeper(data.path, auth))
    const issued = await Promise.all(processes.map((keeper, index) => keeper.issue(index % 2 ? 'viewer' : 'admin')))
    for (const keeper of processes) {
      for (const { token, session } of issued) expect(await keeper.verify(token)).toEqual(session)
    }
    expect(await listFiles(path.join(data.path, authDirName))).toEqual(['session-secret'])
    expect((await stat(path.join(data.path, authDirName, 'session-secret'))).mode & 0o777).toBe(0o600)
  })

  it('end at their expiry', async () => {
    const keeper = new SessionKeeper(data.path, auth)
    const now = Date.now()
    const { token, session } = await keeper.issue('admin', now)
    expect(await keeper.verify(token, now + auth.sessionTtlMs - 1)).toEqual(session)
    expect(await keeper.verify(token, now + auth.sessionTtlMs)).toBeUndefined()
  })

  it('end when their role’s password changes, or the role is removed', async () => {
    const { token: admin } = await new SessionKeeper(data.path, auth).issue('admin')
    const { token: viewer } = await new SessionKeeper(data.path, auth).issue('viewer')
    const changed = new SessionKeeper(data.path, { ...auth, credentials: { admin: { password: 'new-admin-secret' } } })
    expect(await changed.verify(admin)).toBeUndefined()
    expect(await changed.verify(viewer)).toBeUndefined()
  })

  it('end for every process once logged out, and the list forgets sessions that have expired anyway', async () => {
    const [one, other] = [new SessionKeeper(data.path, auth), new SessionKeeper(data.path, auth)]
    const now = Date.now()
    const old = await one.issue('admin', now - 2 * auth.sessionTtlMs)
    await one.revoke(old.session, now - 2 * auth.sessionTtlMs)
    const current = await one.issue('admin', now)
    const kept = await one.issue('admin', now)

    await one.revoke(current.session, now)

    expect(await other.verify(current.token, now)).toBeUndefined()
    expect(await other.verify(kept.token, now)).toEqual(kept.session)
    const listed = await listFiles(path.join(data.path, authDirName, 'revoked'))
    expect(listed).toEqual([`${current.session.expiresAt}-${current.session.id}`])
  })

  it.each([
    ['', 'empty'],
    ['abc', 'no signature'],
    ['a.b.c', 'three parts'],
    [`${Buffer.from('{"id":"x","role":"admin","expiresAt":1}').toString('base64url')}.sig`, 'a payload that does not fit the schema'],
    [`${Buffer.from('not json').toString('base64url')}.sig`, 'a payload that is not JSON'],
  ])('refuses a token with %j (%s)', async (token) => {
    expect(await new SessionKeeper(data.path, auth).verify(token)).toBeUndefined()
  })
})
