// Shared by the API and the browser: keep this file free of Node-only imports.

/** Every stored photo is this size, as the design asks (the reference app's 320x247). */
export const storedWidth = 320
export const storedHeight = 247

export const maxPhotoBytes = 10 * 1024 * 1024
export const maxPhotosPerRequest = 10

/** Decoding stops above this many pixels (about 8000x6000): a guard against decompression bombs. */
export const maxInputPixels = 50_000_000
