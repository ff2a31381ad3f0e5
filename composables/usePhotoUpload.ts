import type { UploadResponse } from '~/api/photos/schema'
import { replacePhoto, uploadPhoto } from '~/browser/upload'

/** What training made of an uploaded photo, in a sentence for the person. */
export interface TrainedPhoto {
  usable: boolean
  message: string
}

/** The server's answer to a photo sent, and its training, which settles later. */
export interface SentPhoto {
  response: UploadResponse
  trained: Promise<TrainedPhoto>
}

/**
 * Photos of `person` sent to the server and trained at once (useUploadTraining): `upload` adds one,
 * `replace` puts one in the place of a stored photo. Each resolves when the server has the photo; its
 * `trained` settles once training is done. Training runs one photo at a time behind the uploads, so the
 * next upload need not wait for it.
 */
export function usePhotoUpload(person: () => string) {
  const { trainUploaded } = useUploadTraining()
  let training: Promise<unknown> = Promise.resolve()

  function train(response: UploadResponse): SentPhoto {
    const trained = training.then(() => trainUploaded(response))
    training = trained.catch(() => {})
    return { response, trained }
  }

  async function upload(photo: Blob, fileName: string, onProgress?: (fraction: number) => void): Promise<SentPhoto> {
    return train(await uploadPhoto(person(), photo, fileName, onProgress))
  }

  async function replace(replaced: string, photo: Blob, fileName: string): Promise<SentPhoto> {
    return train(await replacePhoto(person(), replaced, photo, fileName))
  }

  return { upload, replace }
}
