import { describe, expect, it } from 'vitest'
import { meanBrightness, snapshotHint, snapshotHintRules, type SnapshotHintKind } from './snapshot-hint.js'

const frame = { width: 640, brightness: 120 }
const face = (width: number): { width: number; brightness?: number } => ({ width })

describe('snapshotHint', () => {
  const rows: { label: string; faces: { width: number; brightness?: number }[]; frame: { width: number; brightness: number }; kind: SnapshotHintKind }[] = [
    { label: 'one face, large enough, lit', faces: [face(160)], frame, kind: 'face_found' },
    { label: 'one face exactly at the size limit', faces: [face(snapshotHintRules.closerBelow * 640)], frame, kind: 'face_found' },
    { label: 'one face just under the size limit', faces: [face(snapshotHintRules.closerBelow * 640 - 1)], frame, kind: 'move_closer' },
    { label: 'no face in a lit frame', faces: [], frame, kind: 'no_face' },
    { label: 'no face in a dark frame', faces: [], frame: { width: 640, brightness: 20 }, kind: 'too_dark' },
    { label: 'a face in a dark frame', faces: [face(160)], frame: { width: 640, brightness: snapshotHintRules.darkBelow - 1 }, kind: 'too_dark' },
    { label: 'a lit face on a dark stage', faces: [{ width: 160, brightness: 120 }], frame: { width: 640, brightness: 30 }, kind: 'face_found' },
    { label: 'a face in shadow in a lit room', faces: [{ width: 160, brightness: 30 }], frame, kind: 'too_dark' },
    { label: 'two faces', faces: [face(160), face(40)], frame, kind: 'one_person' },
    { label: 'two faces in the dark: still one person only', faces: [face(160), face(150)], frame: { width: 640, brightness: 10 }, kind: 'one_person' },
  ]
  it.each(rows)('$label: $kind', ({ faces, frame: seen, kind }) => {
    const hint = snapshotHint(faces, seen)
    expect(hint.kind).toBe(kind)
    expect(hint.text.length).toBeGreaterThan(0)
  })

  it('counts the faces in view for one person only', () => {
    expect(snapshotHint([face(100), face(100), face(100)], frame).text).toBe('One person only: 3 faces are in view.')
  })
})

describe('meanBrightness', () => {
  it('reads black, white and a mid gray, ignoring alpha', () => {
    expect(meanBrightness([0, 0, 0, 255, 0, 0, 0, 0])).toBe(0)
    expect(meanBrightness([255, 255, 255, 255])).toBeCloseTo(255, 6)
    expect(meanBrightness([128, 128, 128, 0, 128, 128, 128, 255])).toBeCloseTo(128, 6)
  })

  it('weighs green above red above blue, as the eye does', () => {
    const [red, green, blue] = [[255, 0, 0, 255], [0, 255, 0, 255], [0, 0, 255, 255]].map(meanBrightness)
    expect(green).toBeGreaterThan(red!)
    expect(red).toBeGreaterThan(blue!)
  })

  it('is 0 for no pixels', () => {
    expect(meanBrightness([])).toBe(0)
  })
})
