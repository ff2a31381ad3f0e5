// Shared by the API and the browser: where a stored photo is served.

/** The URL of a person's stored photo (the API serves DATA_DIR/users at /data/users). */
export function photoUrl(person: string, photo: string): string {
  return `/data/users/${encodeURIComponent(person)}/${encodeURIComponent(photo)}`
}

/** Stored photos are JPEGs with plain names; anything else in a person's folder is ignored. */
export const storedPhotoName = /^[\w-]{1,80}\.jpg$/

let lastStamp = 0
// What follows the time and the random part of a stored name: the name the photo was uploaded with.
const uploadedPart = /^[0-9a-z]+-[0-9a-f]{8}-([\w-]+)\.jpg$/

/**
 * A new stored photo's name: the time first, strictly increasing, so that names sort in the order
 * photos were added; a random part; then the name it was uploaded with, reduced to letters, digits,
 * _ and - (at most 40), so that a person can tell which of their files it was.
 */
export function newPhotoName(uploadedAs?: string): string {
  lastStamp = Math.max(Date.now(), lastStamp + 1)
  const random = Array.from(crypto.getRandomValues(new Uint8Array(4)), (byte) => byte.toString(16).padStart(2, '0')).join('')
  const hint = uploadedAs ? uploadHint(uploadedAs) : ''
  return `${lastStamp.toString(36)}-${random}${hint ? `-${hint}` : ''}.jpg`
}

function uploadHint(fileName: string): string {
  const base = fileName.split(/[\\/]/).pop()!.replace(/\.[^.]*$/, '')
  return base.normalize('NFKD').replace(/[^\w-]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 40)
}

/** The name a stored photo was uploaded with, as its stored name keeps it; null for a photo stored without one. */
export function uploadedName(storedName: string): string | null {
  return uploadedPart.exec(storedName)?.[1] ?? null
}
