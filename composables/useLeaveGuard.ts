/**
 * Asks before a page is left while `busy()`: a reload or a closed tab (the browser's own question) and
 * a link inside the app (ours). What is cut off mid-way would be lost without a word.
 */
export function useLeaveGuard(busy: () => boolean, question: string) {
  function onBeforeUnload(event: BeforeUnloadEvent) {
    if (!busy()) return
    event.preventDefault()
    // Older Chromium asks only when returnValue is set.
    event.returnValue = ''
  }
  onMounted(() => window.addEventListener('beforeunload', onBeforeUnload))
  onBeforeUnmount(() => window.removeEventListener('beforeunload', onBeforeUnload))
  onBeforeRouteLeave(() => !busy() || window.confirm(question))
}
