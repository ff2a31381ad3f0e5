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
  if (photo.size > maxPhotoBytes) {
    return Promise.reject(new UploadError(`${fileName} is larger than ${maxPhotoBytes / 1024 / 1024} MB`))
  }
  const form = new FormData()
  form.append('photos', photo, fileName)
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest()
    request.open('POST', `/api/users/${encodeURIComponent(person)}/photos`)
    request.responseType = 'json'
    request.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total)
    }
    request.onload = () => {
      if (request.status === 201) {
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
