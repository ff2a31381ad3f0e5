// Faces named by the server (MATCH_ON_SERVER): the descriptors of the faces a frame describes go to
// POST /api/faces/match, which answers with the app's own decisions on the server's gallery. No
// template is ever in the browser. Same origin, from the page or the recognition worker.
import type { MatchResponse } from '~/api/faces/schema'
import type { FaceNamer } from '~/shared/face/assign'

export const serverFaceNamer: FaceNamer = {
  async nameFaces(descriptors, rule) {
    const response = await fetch('/api/faces/match', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ descriptors: descriptors.map((descriptor) => Array.from(descriptor)), threshold: rule.threshold }),
    })
    if (!response.ok) {
      const body = (await response.json().catch(() => null)) as { error?: { message?: string } } | null
      throw new Error(body?.error?.message ?? `The server could not match the faces (${response.status})`)
    }
    return ((await response.json()) as MatchResponse).decisions
  },
}
