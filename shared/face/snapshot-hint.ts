/** What the camera sees before a snapshot, in one word for code and a sentence for the person in front of it. */
export type SnapshotHintKind = 'face_found' | 'no_face' | 'too_dark' | 'move_closer' | 'one_person'

export interface SnapshotHint {
  kind: SnapshotHintKind
  text: string
}

export const snapshotHintRules = Object.freeze({
  /**
   * Mean luma (0 to 255) below which a frame is too dark. Webcam frames of a lit room run 90 to 160;
   * the detectors start to miss faces under about 50.
   */
  darkBelow: 50,
  /**
   * A face narrower than this share of the frame's width is too small: a stored photo is 320 px wide,
   * and enrollment needs a face of 32 px (enrollDefaults.minFaceSize), so a tenth, with a margin.
   */
  closerBelow: 0.12,
})

/**
 * The hint for one frame: the faces the detector found in it (each with its own mean luma where known),
 * the frame's width and its mean luma. A face's own light decides for a face: a lit face on a dark stage
 * photographs well, and a frame's mean would call it too dark.
 */
export function snapshotHint(
  faces: readonly { width: number; brightness?: number }[],
  frame: { width: number; brightness: number },
  rules = snapshotHintRules,
): SnapshotHint {
  const dark = (faces.length === 1 ? (faces[0]!.brightness ?? frame.brightness) : frame.brightness) < rules.darkBelow
  if (faces.length > 1) return { kind: 'one_person', text: `One person only: ${faces.length} faces are in view.` }
  if (faces.length === 0) {
    return dark ? { kind: 'too_dark', text: 'Too dark: turn on a light in front of you.' } : { kind: 'no_face', text: 'No face found: look at the camera.' }
  }
  if (faces[0]!.width < rules.closerBelow * frame.width) return { kind: 'move_closer', text: 'Move closer: the face is too small.' }
  if (dark) return { kind: 'too_dark', text: 'Too dark: turn on a light in front of you.' }
  return { kind: 'face_found', text: 'Face found: ready for the photo.' }
}

/** Mean luma (Rec. 601) of RGBA pixels, 0 to 255. */
export function meanBrightness(rgba: ArrayLike<number>): number {
  let sum = 0
  const pixels = Math.floor(rgba.length / 4)
  for (let index = 0; index < pixels * 4; index += 4) sum += 0.299 * rgba[index]! + 0.587 * rgba[index + 1]! + 0.114 * rgba[index + 2]!
  return pixels ? sum / pixels : 0
}
