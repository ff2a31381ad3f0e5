// Uploading a photo from the page, with progress: fetch cannot report upload progress, XMLHttpRequest can.
import type { UploadResponse } from '~/api/photos/schema'
import { maxPhotoBytes } from '~/shared/photos/limits'
import type { ErrorBody } from '~/api/errors'

export class UploadError extends Error {
  override name = 'UploadError'
}

/**
 * Uploads one photo with progress (fetch cannot report upload progress, XMLHttpRequest can),
 * resolving with the server's answer or rejecting with a message for the person.
 */
export function uploadPhoto(
  person: string,
  photo: Blob,
  fileName: string,
  onProgress: (fraction: number) => void = () => {},
): Promise<UploadResponse> {
  return sendPhoto('POST', `/api/people/${encodeURIComponent(person)}/photos`, 201, photo, fileName, onProgress)
}

/** Puts a new photo in the place of `replaced` (a rejected or flagged one); answers as an upload does. */
export function replacePhoto(person: string, replaced: string, photo: Blob, fileName: string): Promise<UploadResponse> {
  return sendPhoto('PUT', `/api/people/${encodeURIComponent(person)}/photos/${encodeURIComponent(replaced)}`, 200, photo, fileName, () => {})
}

function sendPhoto(
  method: 'POST' | 'PUT',
  url: string,
  success: number,
  photo: Blob,
  fileName: string,
  onProgress: (fraction: number) => void,
): Promise<UploadResponse> {
  if (photo.size > maxPhotoBytes) {
    return Promise.reject(new UploadError(`${fileName} is larger than ${maxPhotoBytes / 1024 / 1024} MB`))
  }
  const form = new FormData()
  form.append('photos', photo, fileName)
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest()
    request.open(method, url)
    request.responseType = 'json'
    request.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total)
    }
    request.onload = () => {
      if (request.status === success) {
        onProgress(1)
        resolve(request.response as UploadResponse)
        return
      }
      const body = request.response as Partial<ErrorBody> | null
      reject(new UploadError(body?.error?.message ?? `The upload failed (HTTP ${request.status})`))
    }
    request.onerror = () => reject(new UploadError('The server could not be reached. Check your connection and try again.'))
    request.send(form)
  })
}
