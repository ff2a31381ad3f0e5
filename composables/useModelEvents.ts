import type { ModelEvent } from '~/api/faces/events'

/**
 * Calls `onGeneration` with the face model's generation as the server announces it (`GET
 * /api/faces/events`): at once, then whenever the model changes, whoever changed it. The browser's
 * EventSource connects again by itself after a dropped connection (a restarted worker) and the server
 * then sends the generation again. Open while the component is mounted.
 */
export function useModelEvents(onGeneration: (generation: number) => void) {
  let source: EventSource | null = null
  onMounted(() => {
    source = new EventSource('/api/faces/events')
    source.addEventListener('model', (event) => {
      const { generation } = JSON.parse((event as MessageEvent<string>).data) as ModelEvent
      onGeneration(generation)
    })
  })
  onBeforeUnmount(() => {
    source?.close()
    source = null
  })
}
