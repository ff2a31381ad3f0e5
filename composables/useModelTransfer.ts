import type { ModelCounts, ModelFile } from '~/browser/model-transfer'
import { apiErrorMessage, readFaceModel } from '~/store/api'

/** The file read and checked, and the model it would replace, while the person is asked to confirm. */
export interface PendingImport {
  file: ModelFile
  current: ModelCounts
  generation: number
}

/** "2 people, 7 descriptors" */
export const modelAmount = (counts: ModelCounts) =>
  `${counts.people} ${counts.people === 1 ? 'person' : 'people'}, ${counts.descriptors} ${counts.descriptors === 1 ? 'descriptor' : 'descriptors'}`

/**
 * Importing a faces.json: `read` checks the picked file and reads the model it would replace into `pending`
 * for the confirmation; `confirm` sends it, `cancel` drops it. `result` says, in words, how it went.
 * Accepts this app's export or the reference app's faces.json, checked here first and again by the server.
 */
export function useModelTransfer(onImported: () => void) {
  const api = useNuxtApp().$api
  const result = ref<{ ok: boolean; message: string } | null>(null)
  const pending = shallowRef<PendingImport | null>(null)

  async function read(picked: File): Promise<boolean> {
    result.value = null
    try {
      // The model's schema (zod) loads with the first import, not with the page.
      const { countModel, readModelFile } = await import('~/browser/model-transfer')
      const file = await readModelFile(picked)
      const current = await readFaceModel(api)
      pending.value = { file, current: countModel(current), generation: current.generation }
      return true
    } catch (err) {
      result.value = { ok: false, message: apiErrorMessage(err) }
      return false
    }
  }

  async function confirm() {
    const chosen = pending.value
    if (!chosen) return
    const { file, generation } = chosen
    let body = file.body
    // An export carries the generation it was read at; importing it replaces what the confirmation showed.
    if (!Array.isArray(body) && typeof body === 'object' && body !== null) body = { ...body, generation }
    try {
      await api('/api/faces', { method: 'PUT', body })
      result.value = { ok: true, message: `Imported ${file.name}: ${modelAmount(file.counts)}` }
      onImported()
    } catch (err) {
      result.value = { ok: false, message: `${file.name} was not imported: ${apiErrorMessage(err)}` }
    } finally {
      pending.value = null
    }
  }

  function cancel() {
    pending.value = null
  }

  return { result: readonly(result), pending, read, confirm, cancel }
}
