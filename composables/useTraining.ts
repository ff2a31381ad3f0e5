import { photoUrl } from '~/shared/photos/names'
import type { ModelWriteResponse, PhotoHash } from '~/api/faces/schema'
import type { UploadResponse } from '~/api/photos/schema'
import type { PeopleResponse } from '~/api/people/schema'
import { enrollDefaults, type FaceRuntime } from '~/shared/face/enroll'
import type { PersonModel } from '~/shared/face/model'
import { runTraining, trainPerson, type PhotoSteps } from '~/shared/face/pipeline'
import { lookAlikeMessage, planTraining, type PhotoRef } from '~/shared/face/training'
import { pictureTensor } from '~/browser/picture'
import { useAppStore } from '~/store'
import { apiErrorMessage, readFaceModel } from '~/store/api'

export interface TrainingProgress {
  status: 'idle' | 'running' | 'done' | 'canceled' | 'error'
  done: number
  total: number
  person: string
  startedAt: number
  elapsedMs: number
  etaMs: number | null
  error: string | null
}

/** The pipeline's steps in the page: stored photos decoded from their URLs, one that cannot be read is unreadable. */
function pageSteps(runtime: FaceRuntime): PhotoSteps {
  return {
    runtime: () => Promise.resolve(runtime),
    decode: (photo) => pictureTensor(runtime.tf, photoUrl(photo.person, photo.photo)).catch(() => null),
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
  const api = useNuxtApp().$api
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
      const [{ people }, { photos }, model] = await Promise.all([
        api<PeopleResponse>('/api/people'),
        api<{ photos: PhotoHash[] }>('/api/faces/photos'),
        readFaceModel(api),
      ])
      const plan = planTraining(model, people.map((person) => person.name), photos, enrollDefaults.detector, scope)
      progress.total = plan.toProcess.length
      // Saved person by person, even when canceled part-way: the photos done so far are not lost.
      await runTraining(plan, model, {
        ...pageSteps(runtime),
        personStarted: (name) => (progress.person = name),
        photoDone: () => {
          progress.done++
          tick()
          return nextFrame()
        },
        canceled: () => cancelRequested,
        save: savePerson,
        remove: async (name) => {
          await api(`/api/faces/people/${encodeURIComponent(name)}`, { method: 'DELETE' })
        },
      })
      tick()
      progress.status = cancelRequested ? 'canceled' : 'done'
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
  const api = useNuxtApp().$api
  const store = useAppStore()

  async function trainUploaded(response: UploadResponse): Promise<{ usable: boolean; message: string }> {
    try {
      const runtime = await load()
      const name = response.person.name
      const uploaded = response.photos.map((photo): PhotoRef => ({ person: name, photo: photo.name, hash: photo.hash }))
      // The person's photos trained before judge whether a photo is sideways (secondLookAtSideways).
      const model = await readFaceModel(api)
      const known: PersonModel = model.people.find((entry) => entry.name === name) ?? { name, descriptors: [], rejected: [] }
      const { person } = await trainPerson(known, uploaded, pageSteps(runtime))
      const isUploaded = (entry: { photo: string }) => uploaded.some((photo) => photo.photo === entry.photo)
      const descriptors = person.descriptors.filter(isUploaded)
      const rejected = person.rejected.filter(isUploaded)
      // The server flags a photo that looks like someone else's as it saves it (flagLookAlikes).
      const saved = await api<ModelWriteResponse>(`/api/faces/people/${encodeURIComponent(name)}`, { method: 'PATCH', body: { descriptors, rejected } })
      const flagged = (saved.flagged ?? []).filter(isUploaded)
      // How the server made each stored photo: framed around its face, or stored whole and why, and any retry it took.
      const framing = response.photos.map((photo) => photo.framing).join('. ')
      if (rejected.length) return { usable: false, message: `Not usable for recognition: ${rejected.map((entry) => entry.detail).join('; ')}. ${framing}.` }
      if (flagged.length) {
        const looks = flagged.map((entry) => lookAlikeMessage(entry.lookAlike)).join('; ')
        return { usable: false, message: `Not used for recognition: ${looks} Confirm or move it under Photos. ${framing}.` }
      }
      return { usable: true, message: `${['Trained: ready for recognition', ...descriptors.flatMap((entry) => (entry.note ? [entry.note] : []))].join('. ')}. ${framing}.` }
    } catch (err) {
      return { usable: false, message: `Saved, but not trained: ${apiErrorMessage(err)}. Train from the Train page.` }
    } finally {
      // The pages show each photo's state from the model: usable, rejected or flagged.
      await store.dispatch('face/loadSummary')
    }
  }

  return { trainUploaded }
}
