import { describe, expect, it } from 'vitest'
import { newPhotoName, photoUrl, storedPhotoName, uploadedName } from './names.js'

describe('stored photo names', () => {
  it.each([
    { uploadedAs: 'IMG_1534.JPG_1547360372630.JPG', kept: 'IMG_1534_JPG_1547360372630' },
    { uploadedAs: 'holiday photo (2).png', kept: 'holiday_photo_2' },
    { uploadedAs: 'Zoë.jpeg', kept: 'Zoe' },
    { uploadedAs: 'C:\\Users\\ada\\me.jpg', kept: 'me' },
    { uploadedAs: '../../etc/passwd', kept: 'passwd' },
    { uploadedAs: 'camera-3.jpg', kept: 'camera-3' },
    { uploadedAs: `${'a'.repeat(200)}.jpg`, kept: 'a'.repeat(40) },
  ])('keeps "$kept" of "$uploadedAs", and stays a stored photo name', ({ uploadedAs, kept }) => {
    const name = newPhotoName(uploadedAs)
    expect(name).toMatch(storedPhotoName)
    expect(uploadedName(name)).toBe(kept)
  })

  it.each([undefined, '', '.jpg', '人物.jpg', '....'])('names a photo uploaded as %j with no upload part', (uploadedAs) => {
    const name = newPhotoName(uploadedAs)
    expect(name).toMatch(storedPhotoName)
    expect(uploadedName(name)).toBeNull()
  })

  it('sorts names in the order photos were added, however fast', () => {
    const names = Array.from({ length: 500 }, (_, index) => newPhotoName(`photo-${index}.jpg`))
    expect(new Set(names).size).toBe(names.length)
    const stamps = names.map((name) => parseInt(name.split('-')[0]!, 36))
    expect(stamps.every((stamp, index) => index === 0 || stamp > stamps[index - 1]!)).toBe(true)
  })

  it('has no upload part for names of photos stored before it was kept', () => {
    expect(uploadedName('mfx1k2-0a1b2c3d.jpg')).toBeNull()
    expect(uploadedName('photo-1.jpg')).toBeNull()
  })

  it('serves a photo at its URL with both names encoded', () => {
    expect(photoUrl('Zoë Ann', 'a b.jpg')).toBe('/data/users/Zo%C3%AB%20Ann/a%20b.jpg')
  })
})
