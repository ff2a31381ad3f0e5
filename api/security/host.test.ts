import { request } from 'node:http'
import { connect } from 'node:net'
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { useTestApi, type TestApi } from '../../tests/support/api.js'
import { addFixturePhotos, snapshotDir } from '../../tests/support/data.js'
import { descriptorEntry, faceModelOf, personModel } from '../../tests/support/faces.js'

interface Reply {
  status: number
  body: { error?: { code: string; message: string } } | undefined
}

/** One request with the Host header as given (fetch sends the URL's own). */
function send(api: TestApi, method: string, route: string, headers: Record<string, string>): Promise<Reply> {
  const { hostname, port } = new URL(api.url)
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port, method, path: route, headers, setHost: false }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        let body: Reply['body']
        try {
          body = JSON.parse(text)
        } catch {
          body = undefined
        }
        resolve({ status: res.statusCode ?? 0, body })
      })
    })
    req.on('error', reject)
    req.end()
  })
}

/** Ada with a photo and a descriptor, so that every route has something to give away or destroy. */
async function ada(dataDir: string): Promise<void> {
  await addFixturePhotos(dataDir, 'Ada', ['people/barack_obama/obama_small.jpg'])
  await writeFile(path.join(dataDir, 'faces.json'), JSON.stringify(faceModelOf([personModel('Ada', [descriptorEntry('photo-1.jpg', 1)])])))
}

/** What DNS rebinding makes a browser send: another site's name, and the page looks same-origin to it. */
const rebound = (host: string) => ({ host, origin: `http://${host}`, 'sec-fetch-site': 'same-origin' })

describe('requests that name another host (DNS rebinding), with sign-in off', () => {
  const api = useTestApi(ada, { ALLOWED_HOSTS: 'facer.example.com, Facer.LAN', HOST: 'facer-box' })

  it.each([
    ['GET', '/api/people'],
    ['GET', '/api/people/Ada'],
    ['GET', '/api/faces'],
    ['GET', '/api/faces/export'],
    ['GET', '/data/users/Ada/photo-1.jpg'],
    ['GET', '/'],
    ['GET', '/api/health'],
    ['DELETE', '/api/people/Ada'],
    ['DELETE', '/api/people/Ada/photos/photo-1.jpg'],
    ['PUT', '/api/faces'],
    ['POST', '/api/people'],
  ])('%s %s from attacker.example:3501 is refused with 421, changing nothing', async (method, route) => {
    const before = await snapshotDir(api.dataDir)
    const res = await send(api, method, route, rebound('attacker.example:3501'))
    expect(res.status).toBe(421)
    expect(res.body?.error).toEqual({
      code: 'unknown_host',
      message: 'This request names the host name “attacker.example”, which this facer server does not answer to: add it to ALLOWED_HOSTS',
    })
    expect(await snapshotDir(api.dataDir)).toEqual(before)
  })

  it.each([
    'localhost.attacker.example',
    'facer.example.com.attacker.example',
    '127.0.0.1.nip.io:3000',
    'localhost.',
    'sub.facer.example.com',
    'localhost@attacker.example',
    'attacker.example:3000:80',
    '[::1',
    '[attacker.example]',
    'attacker.example/localhost',
  ])('refuses Host %j', async (host) => {
    const res = await send(api, 'GET', '/api/people', rebound(host))
    expect(res.status).toBe(421)
    expect(res.body?.error?.code).toBe('unknown_host')
  })

  it('refuses an HTTP/1.0 request with no Host at all (Node itself answers 400 to HTTP/1.1 without one)', async () => {
    const { hostname, port } = new URL(api.url)
    const socket = connect(Number(port), hostname)
    socket.end('GET /api/people HTTP/1.0\r\n\r\n')
    const chunks: Buffer[] = []
    for await (const chunk of socket) chunks.push(chunk as Buffer)
    const [head, body] = Buffer.concat(chunks).toString('utf8').split('\r\n\r\n') as [string, string]
    expect(head).toMatch(/^HTTP\/1\.1 421 /)
    expect(JSON.parse(body).error.message).toBe('This request names no valid host name, which this facer server does not answer to: add it to ALLOWED_HOSTS')
  })

  it.each([
    ['loopback by name', 'localhost:3000'],
    ['loopback by name, no port', 'localhost'],
    ['loopback in capitals', 'LocalHost:3000'],
    ['IPv4 loopback', '127.0.0.1:3501'],
    ['IPv6 loopback', '[::1]:3501'],
    ['an address on the LAN', '192.168.1.20:3000'],
    ['an IPv6 address', '[fd00::20]'],
    ['a name in ALLOWED_HOSTS', 'facer.example.com'],
    ['a name in ALLOWED_HOSTS with a port', 'facer.example.com:8443'],
    ['a name given in capitals in ALLOWED_HOSTS', 'facer.lan:3000'],
    ['HOST, when it is a name', 'facer-box:3000'],
  ])('answers %s (%s)', async (_label, host) => {
    const res = await send(api, 'GET', '/api/people', rebound(host))
    expect(res.status).toBe(200)
  })
})

describe('the host a trusted proxy forwards', () => {
  const api = useTestApi(ada, { TRUST_PROXY: 'loopback' })

  it('is the one checked: a rebound name behind the proxy is refused, and nothing is deleted', async () => {
    const before = await snapshotDir(api.dataDir)
    const res = await send(api, 'DELETE', '/api/people/Ada', { host: '127.0.0.1', 'x-forwarded-host': 'attacker.example' })
    expect(res.status).toBe(421)
    expect(await snapshotDir(api.dataDir)).toEqual(before)
    expect((await send(api, 'GET', '/api/people', { host: '127.0.0.1', 'x-forwarded-host': 'localhost:3000' })).status).toBe(200)
  })
})

describe('the host an untrusted client forwards', () => {
  const api = useTestApi(ada)

  it('is ignored: Host decides', async () => {
    expect((await send(api, 'GET', '/api/people', { host: '127.0.0.1', 'x-forwarded-host': 'attacker.example' })).status).toBe(200)
    expect((await send(api, 'GET', '/api/people', { host: 'attacker.example', 'x-forwarded-host': 'localhost' })).status).toBe(421)
  })
})
