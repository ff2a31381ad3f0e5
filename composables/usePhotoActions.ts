import type { LookAlike, RejectedPhoto } from '~/shared/face/model'
import { lookAlikeMessage } from '~/shared/face/training'
import { useAppStore } from '~/store'

/** What the face model says of one stored photo. */
export type PhotoStatus =
  | { kind: 'usable' }
  | { kind: 'rejected'; rejection: RejectedPhoto }
  | { kind: 'flagged'; lookAlike: LookAlike; message: string }
  | { kind: 'untrained' }

/**
 * A person's photos as the face model judged them, and what can be done about one that is not usable:
 * confirm or move a flagged one, replace or delete any. Each action reloads what it changed.
 */
export function usePhotoActions(personName: () => string) {
  const store = useAppStore()
  const { replace: replaceStored } = usePhotoUpload(personName)
  const error = ref<string | null>(null)
  const busy = ref<string | null>(null)

  const summary = computed(() => store.state.face.summary)
  const personSummary = computed(() => summary.value?.people.find((person) => person.name === personName()))

  function statusOf(photo: string): PhotoStatus {
    const person = personSummary.value
    if (!person) return { kind: 'untrained' }
    const rejection = person.rejected.find((entry) => entry.photo === photo)
    if (rejection) return { kind: 'rejected', rejection }
    const flag = person.flagged.find((entry) => entry.photo === photo)
    if (flag) return { kind: 'flagged', lookAlike: flag.lookAlike, message: lookAlikeMessage(flag.lookAlike) }
    return person.usablePhotos.includes(photo) ? { kind: 'usable' } : { kind: 'untrained' }
  }

  async function act(photo: string, action: () => Promise<unknown>) {
    error.value = null
    busy.value = photo
    try {
      await action()
    } catch (err) {
      error.value = (err as Error).message
    } finally {
      busy.value = null
    }
  }

  const generation = () => summary.value?.generation ?? 0

  const confirm = (photo: string) => act(photo, () => store.dispatch('people/confirmPhoto', { person: personName(), photo, generation: generation() }))

  const move = (photo: string, to: string) => act(photo, () => store.dispatch('people/movePhoto', { person: personName(), photo, to, generation: generation() }))

  const remove = (photo: string) => act(photo, () => store.dispatch('people/deletePhoto', { person: personName(), photo }))

  /** The new photo takes the old one's place and is trained at once, as an upload is. */
  const replace = (photo: string, file: File) =>
    act(photo, async () => {
      const { response, trained } = await replaceStored(photo, file, file.name)
      store.commit('people/personSaved', { person: response.person })
      // Its result shows on its thumbnail, from the model, like every other photo's.
      await trained
    })

  return { statusOf, confirm, move, remove, replace, error, busy, personSummary }
}
