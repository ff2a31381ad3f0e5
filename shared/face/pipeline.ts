// The one training pipeline that the Train page, upload-time training and `npm run train` run: each photo
// decoded, enrolled and recorded, then the second look at sideways photos, then each changed person saved.
// What touches the world (decoding a stored photo, saving, progress) is passed in as steps.
import type * as TensorFlow from '@tensorflow/tfjs'
import { enrollDefaults, enrollFace, toModelEntry, type EnrollOptions, type FaceRuntime } from './enroll.js'
import type { DescriptorEntry, FaceModel, PersonModel, RejectedPhoto } from './model.js'
import { personChanged, recordResult, secondLookAtSideways, type PhotoRef, type TrainingPlan } from './training.js'

/** What enrolling a person's photos needs from where it runs. */
export interface PhotoSteps {
  /** face-api with its networks; asked for only when a photo is to be enrolled. */
  runtime(): Promise<FaceRuntime>
  /** A stored photo as an int32 [height, width, 3] tensor, owned by the caller; null when it cannot be read. */
  decode(photo: PhotoRef): Promise<TensorFlow.Tensor3D | null>
  enroll?: EnrollOptions
  /** After each photo is recorded: progress, and on a page a pause to repaint. */
  photoDone?(photo: PhotoRef): Promise<void> | void
  /** Checked before each photo: the photos done so far are kept. */
  canceled?(): boolean
}

/** What a whole training run needs on top: where each changed person is saved and a removed one dropped. */
export interface TrainingSteps extends PhotoSteps {
  /** Told as each person's turn starts. */
  personStarted?(name: string): void
  save(person: PersonModel): Promise<void>
  remove(name: string): Promise<void>
}

const unreadable = (photo: PhotoRef): RejectedPhoto => ({ photo: photo.photo, hash: photo.hash, reason: 'unreadable', detail: 'The photo could not be read' })

/** One photo's descriptor, or the reason it has none, in the form the face model stores. */
async function enrollPhoto(photo: PhotoRef, steps: PhotoSteps): Promise<DescriptorEntry | RejectedPhoto> {
  const runtime = await steps.runtime()
  const image = await steps.decode(photo)
  if (!image) return unreadable(photo)
  try {
    return toModelEntry(photo, await enrollFace(runtime, image, steps.enroll ?? enrollDefaults))
  } finally {
    image.dispose()
  }
}

/**
 * Enrolls `photos` into `person` one at a time, then takes the second look at the ones that may be sideways
 * (secondLookAtSideways), judged by all of the person's photos. Answers the person and the photos done.
 */
export async function trainPerson(person: PersonModel, photos: readonly PhotoRef[], steps: PhotoSteps): Promise<{ person: PersonModel; done: PhotoRef[] }> {
  const done: PhotoRef[] = []
  for (const photo of photos) {
    if (steps.canceled?.()) break
    person = recordResult(person, await enrollPhoto(photo, steps))
    done.push(photo)
    await steps.photoDone?.(photo)
  }
  if (!done.length) return { person, done }
  const decodeRead = async (photo: PhotoRef) => {
    const image = await steps.decode(photo)
    if (!image) throw new Error(`${photo.person}'s photo ${photo.photo} could not be read again`)
    return image
  }
  return { person: await secondLookAtSideways(await steps.runtime(), person, done, decodeRead), done }
}

/**
 * Carries out a training plan (planTraining) against the model it was made from: person by person, each
 * one saved as soon as they are done and only if they changed, so that a canceled run keeps what it did.
 * People no longer registered are removed once everyone is done. Answers whether it was canceled.
 */
export async function runTraining(plan: TrainingPlan, before: FaceModel, steps: TrainingSteps): Promise<{ canceled: boolean }> {
  for (const planned of plan.people) {
    steps.personStarted?.(planned.name)
    const photos = plan.toProcess.filter((candidate) => candidate.person === planned.name)
    const { person } = await trainPerson(planned, photos, steps)
    if (personChanged(before, person)) await steps.save(person)
    if (steps.canceled?.()) return { canceled: true }
  }
  for (const name of plan.removedPeople) await steps.remove(name)
  return { canceled: false }
}
