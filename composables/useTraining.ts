import type { PhotoHash } from '~/api/faces/schema'
import type { UploadResponse } from '~/api/photos/schema'
import type { PeopleResponse } from '~/api/users/schema'
import { enrolDefaults, enrolFace, toModelEntry, type FaceRuntime } from '~/shared/face/enrol'
import type { DescriptorEntry, FaceModel, PersonModel, RejectedPhoto } from '~/shared/face/model'
import { planTraining, recordResult, type PhotoRef } from '~/shared/face/training'
import { apiErrorMessage, type ApiFetch } from '~/store/api'

export interface TrainingProgress {
  status: 'idle' | 'running' | 'done' | 'cancelled' | 'error'
  done: number
  total: number
  person: string
  startedAt: number
  elapsedMs: number
  etaMs: number | null
  error: string | null
}

const detector = enrolDefaults.detector

/** Decodes a stored photo into the int32 tensor enrolment expects (the Node trainer uses the same kind). */
async function photoTensor(runtime: FaceRuntime, url: string) {
  const image = new Image()
  image.src = url
  await image.decode()
  return runtime.tf.browser.fromPixels(image)
}

/** Extracts one photo's descriptor, or the reason it has none, in the form the face model stores. */
export async function trainPhoto(runtime: FaceRuntime, photo: PhotoRef): Promise<DescriptorEntry | RejectedPhoto> {
  const url = `/data/users/${encodeURIComponent(photo.person)}/${encodeURIComponent(photo.photo)}`
  let image
  try {
    image = await photoTensor(runtime, url)
  } catch {
    return { photo: photo.photo, hash: photo.hash, reason: 'unreadable', detail: 'The photo could not be read' }
  }
  try {
    return toModelEntry(photo, await enrolFace(runtime, image))
  } finally {
    image.dispose()
  }
}

// Each photo takes a few hundred milliseconds of WASM: let the page repaint between them.
const nextFrame = () => new Promise<void>((resolve) => requestAnimationFrame(() => resolve()))

/**
 * Training in the browser: batch (everyone) or some people. Only photos whose content changed
 * since the last training are processed; each person is saved as soon as they are done, with
 * the per-person route, so two browsers training different people never overwrite each other.
 */
export function useTraining() {
  const { load } = useFaceModels()
  const api = useNuxtApp().$api as ApiFetch
  const progress = reactive<TrainingProgress>({
    status: 'idle',
    done: 0,
    total: 0,
    person: '',
    startedAt: 0,
    elapsedMs: 0,
    etaMs: null,
    error: null,
  })
  let cancelRequested = false

  function tick() {
    progress.elapsedMs = Date.now() - progress.startedAt
    progress.etaMs = progress.done ? (progress.elapsedMs / progress.done) * (progress.total - progress.done) : null
  }

  async function savePerson(person: PersonModel) {
    await api(`/api/faces/people/${encodeURIComponent(person.name)}`, {
      method: 'PUT',
      body: { descriptors: person.descriptors, rejected: person.rejected },
    })
  }

  async function train(scope?: string[]): Promise<void> {
    cancelRequested = false
    Object.assign(progress, { status: 'running', done: 0, total: 0, person: '', startedAt: Date.now(), elapsedMs: 0, etaMs: null, error: null })
    try {
      const runtime = await load()
      const [{ users }, { photos }, model] = await Promise.all([
        api<PeopleResponse>('/api/users'),
        api<{ photos: PhotoHash[] }>('/api/faces/photos'),
        api<FaceModel>('/api/faces'),
      ])
      const plan = planTraining(model, users.map((user) => user.name), photos, detector, scope)
      progress.total = plan.toProcess.length
      for (let person of plan.people) {
        progress.person = person.name
        for (const photo of plan.toProcess.filter((candidate) => candidate.person === person.name)) {
          if (cancelRequested) break
          person = recordResult(person, await trainPhoto(runtime, photo))
          progress.done++
          tick()
          await nextFrame()
        }
        // Saved even when cancelled part-way: the photos done so far are not lost.
        await savePerson(person)
        if (cancelRequested) break
      }
      if (!cancelRequested) {
        for (const name of plan.removedPeople) await api(`/api/faces/people/${encodeURIComponent(name)}`, { method: 'DELETE' })
      }
      tick()
      progress.status = cancelRequested ? 'cancelled' : 'done'
    } catch (err) {
      progress.status = 'error'
      progress.error = apiErrorMessage(err)
    }
  }

  function cancel() {
    cancelRequested = true
  }

  return { progress: readonly(progress), train, cancel }
}

/**
 * One-by-one training: the photos of an upload are trained right away and added to the model,
 * touching nothing else. Resolves with a sentence for the person about the result.
 */
export function useUploadTraining() {
  const { load } = useFaceModels()
  const api = useNuxtApp().$api as ApiFetch

  async function trainUploaded(response: UploadResponse): Promise<{ usable: boolean; message: string }> {
    try {
      const runtime = await load()
      const person = response.person.name
      const results: (DescriptorEntry | RejectedPhoto)[] = []
      for (const photo of response.photos) results.push(await trainPhoto(runtime, { person, photo: photo.name, hash: photo.hash }))
      const descriptors = results.filter((result): result is DescriptorEntry => 'descriptor' in result)
      const rejected = results.filter((result): result is RejectedPhoto => 'reason' in result)
      await api(`/api/faces/people/${encodeURIComponent(person)}`, { method: 'PATCH', body: { descriptors, rejected } })
      return rejected.length
        ? { usable: false, message: `Not usable for recognition: ${rejected.map((entry) => entry.detail).join('; ')}` }
        : { usable: true, message: 'Trained: ready for recognition' }
    } catch (err) {
      return { usable: false, message: `Saved, but not trained: ${apiErrorMessage(err)}. Train from the Train page.` }
    }
  }

  return { trainUploaded }
}
