// Enrollment as a person does it: register through the API, upload fixture photos (stored normalized
// to 320x247 JPEG), then train with `npm run train`'s compiled script, the same enrollment code as the
// Train page.
import { execFileSync } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { facesDir, repoRoot } from '../../tests/support/data.js'

/** Fixture photos (relative to fixtures/faces) by person. */
export type Enrollment = Record<string, string[]>

/** The people of the fixture video, as bench/recognize.ts and the recognize E2E enroll them. */
export const videoEnrollment: Enrollment = {
  lin_manuel_miranda: ['people/lin_manuel_miranda/lin-manuel-miranda.png'],
  barack_obama: ['people/barack_obama/obama.jpg', 'people/barack_obama/obama1.jpg', 'people/barack_obama/obama2.jpg', 'people/barack_obama/obama_small.jpg'],
}

export async function registerPerson(baseUrl: string, name: string): Promise<void> {
  const reply = await fetch(`${baseUrl}/api/people`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name }) })
  if (reply.status !== 201) throw new Error(`Registering ${name} answered ${reply.status}: ${await reply.text()}`)
}

export async function uploadPhotos(baseUrl: string, name: string, photos: { name: string; bytes: Buffer }[]): Promise<void> {
  const form = new FormData()
  for (const photo of photos) form.append('photos', new Blob([new Uint8Array(photo.bytes)]), photo.name)
  const reply = await fetch(`${baseUrl}/api/people/${encodeURIComponent(name)}/photos`, { method: 'POST', body: form })
  if (reply.status !== 201) throw new Error(`Uploading ${name}'s photos answered ${reply.status}: ${await reply.text()}`)
}

export async function registerWithFixtures(baseUrl: string, enrollment: Enrollment): Promise<void> {
  for (const [name, files] of Object.entries(enrollment)) {
    await registerPerson(baseUrl, name)
    const photos = await Promise.all(files.map(async (file) => ({ name: path.basename(file), bytes: await readFile(path.join(facesDir, file)) })))
    await uploadPhotos(baseUrl, name, photos)
  }
}

export const trainScript = path.join(repoRoot, 'dist/scripts/train.js')

/** Runs the headless trainer on a data folder; resolves with its output and how long it took. */
export function trainInNode(dataDir: string, args: string[] = []): { output: string; seconds: number } {
  const started = performance.now()
  const output = execFileSync(process.execPath, [trainScript, ...args], { env: { ...process.env, DATA_DIR: dataDir }, encoding: 'utf8' })
  return { output, seconds: (performance.now() - started) / 1000 }
}
