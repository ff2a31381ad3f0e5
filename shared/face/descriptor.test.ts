import { afterEach, describe, expect, it, vi } from 'vitest'
import { encodedDescriptor, seededDescriptor } from '../../tests/support/faces.js'
import { decodeDescriptor, descriptorLength, encodeDescriptor, euclideanDistance, isEncodedDescriptor, isPlausibleDescriptor, meanDescriptor } from './descriptor.js'

/** The exact bits of each float: tells -0 from 0, and any rounding at all. */
const bitsOf = (values: Float32Array) => Array.from(new Uint32Array(values.buffer, values.byteOffset, values.length))

const base64Of = (byteCount: number) => Buffer.alloc(byteCount, 7).toString('base64')

const specialValues = [
  0,
  -0,
  1,
  -1,
  1.401298464324817e-45, // the smallest float32 above zero (subnormal)
  -1.401298464324817e-45,
  1.1754943508222875e-38, // the smallest normal float32
  3.4028234663852886e38, // the largest float32
  -3.4028234663852886e38,
  Infinity,
  -Infinity,
]

describe('encodeDescriptor and decodeDescriptor', () => {
  it.each([1, 2, 3, 42, 2024, 0xdeadbeef])('give back exactly the same float32 numbers (seed %i)', (seed) => {
    const descriptor = seededDescriptor(seed)
    expect(bitsOf(decodeDescriptor(encodeDescriptor(descriptor)))).toEqual(bitsOf(descriptor))
  })

  it('keep special values bit for bit: signed zeros, subnormals, the extremes and infinities', () => {
    const descriptor = new Float32Array(descriptorLength)
    for (let i = 0; i < descriptorLength; i++) descriptor[i] = specialValues[i % specialValues.length]!
    const decoded = decodeDescriptor(encodeDescriptor(descriptor))
    expect(bitsOf(decoded)).toEqual(bitsOf(descriptor))
    expect(Object.is(decoded[1], -0)).toBe(true)
  })

  it('store plain numbers as the nearest float32', () => {
    const numbers = Array.from({ length: descriptorLength }, (_, i) => 0.1 * (i - 64))
    expect(Array.from(decodeDescriptor(encodeDescriptor(numbers)))).toEqual(numbers.map(Math.fround))
  })

  it('are 684 characters of base64 for 512 bytes: 128 float32 numbers, little-endian', () => {
    const descriptor = seededDescriptor(7)
    const encoded = encodeDescriptor(descriptor)
    expect(encoded).toHaveLength(684)
    const bytes = Buffer.from(encoded, 'base64')
    expect(bytes).toHaveLength(512)
    expect(bytes.readFloatLE(4 * 5)).toBe(descriptor[5])
    expect(bytes.readFloatLE(4 * 127)).toBe(descriptor[127])
  })

  it("take under a quarter of the bytes of face-api's {\"0\": …} JSON for the same descriptor", () => {
    for (const seed of [1, 2, 3]) {
      const descriptor = seededDescriptor(seed)
      // JSON.stringify turns a Float32Array into {"0":…,"127":…}, which is what face-api's models hold.
      const theirs = Buffer.byteLength(JSON.stringify(descriptor))
      const ours = Buffer.byteLength(JSON.stringify(encodeDescriptor(descriptor)))
      expect(JSON.stringify(descriptor)).toMatch(/^\{"0":-?0\.\d+,"1":/)
      expect(ours).toBe(686)
      expect(ours * 4).toBeLessThan(theirs)
    }
  })

  it.each([0, 1, 127, 129, 256])('refuses to encode %i numbers', (length) => {
    expect(() => encodeDescriptor(new Float32Array(length))).toThrow(new RangeError(`A descriptor has 128 numbers, not ${length}`))
  })

  it.each([0, 1, 508, 511, 513, 516, 1024])('refuses to decode %i bytes', (byteCount) => {
    expect(() => decodeDescriptor(base64Of(byteCount))).toThrow(new RangeError(`A descriptor is 512 bytes, not ${byteCount}`))
  })

  describe('without Node’s Buffer, as in the browser', () => {
    afterEach(() => {
      vi.unstubAllGlobals()
    })

    it('encode to the same text and decode to the same numbers', () => {
      const descriptor = seededDescriptor(99)
      const inNode = encodeDescriptor(descriptor)
      vi.stubGlobal('Buffer', undefined)
      const inBrowser = encodeDescriptor(descriptor)
      const decodedInBrowser = decodeDescriptor(inNode)
      vi.unstubAllGlobals()
      expect(inBrowser).toBe(inNode)
      expect(bitsOf(decodedInBrowser)).toEqual(bitsOf(descriptor))
    })
  })
})

describe('isEncodedDescriptor', () => {
  const valid = encodedDescriptor(5)

  it('accepts what encodeDescriptor makes', () => {
    for (const seed of [1, 2, 3, 4]) expect(isEncodedDescriptor(encodedDescriptor(seed))).toBe(true)
    expect(isEncodedDescriptor(encodeDescriptor(new Float32Array(descriptorLength)))).toBe(true)
  })

  it.each([
    { label: 'an empty string', text: '' },
    { label: 'one character short', text: valid.slice(1) },
    { label: 'one character more', text: `${valid}=` },
    { label: '513 bytes (no padding)', text: base64Of(513) },
    { label: '684 characters without padding (513 bytes)', text: 'A'.repeat(684) },
    { label: '684 characters with two padding characters (511 bytes)', text: `${'A'.repeat(682)}==` },
    { label: '511 bytes', text: base64Of(511) },
    { label: 'base64url characters', text: `-_${valid.slice(2)}` },
    { label: 'a space inside', text: `${valid.slice(0, 100)} ${valid.slice(101)}` },
    { label: 'a line break inside', text: `${valid.slice(0, 100)}\n${valid.slice(101)}` },
    { label: 'padding in the middle', text: `${valid.slice(0, 100)}=${valid.slice(101)}` },
  ])('refuses $label', ({ text }) => {
    expect(isEncodedDescriptor(text)).toBe(false)
  })

  it('accepts only text that decodes to a descriptor of numbers within ±2', () => {
    // All ones: every float32 is NaN.
    const candidates = [valid, 'A'.repeat(684), `${'A'.repeat(682)}==`, `${'A'.repeat(683)}=`, `${'/'.repeat(683)}=`]
    for (const text of candidates) {
      const decodes = (() => {
        try {
          return Array.from(decodeDescriptor(text)).every((value) => Math.abs(value) <= 2)
        } catch {
          return false
        }
      })()
      expect({ text, accepted: isEncodedDescriptor(text) }).toEqual({ text, accepted: decodes })
    }
  })

  const withValue = (value: number, at = 17) => {
    const descriptor = seededDescriptor(9)
    descriptor[at] = value
    return encodeDescriptor(descriptor)
  }

  it.each([
    { label: 'NaN', value: Number.NaN },
    { label: '+Infinity', value: Infinity },
    { label: '-Infinity', value: -Infinity },
    { label: 'the largest float32', value: 3.4028234663852886e38 },
    { label: '2.001', value: 2.001 },
    { label: '-2.001', value: -2.001 },
  ])('refuses a descriptor holding $label', ({ value }) => {
    for (const at of [0, 17, 127]) expect(isEncodedDescriptor(withValue(value, at))).toBe(false)
  })

  it.each([2, -2, 1.401298464324817e-45, -0])('accepts a descriptor holding %d', (value) => {
    expect(isEncodedDescriptor(withValue(value))).toBe(true)
  })
})

describe('isPlausibleDescriptor', () => {
  it('accepts numbers within ±2 and refuses anything else, at any position', () => {
    const values = Array.from(seededDescriptor(3))
    expect(isPlausibleDescriptor(values)).toBe(true)
    for (const bad of [Number.NaN, Infinity, -Infinity, 1e308, 2.5, '0.1', null, undefined]) {
      for (const at of [0, 64, 127]) expect(isPlausibleDescriptor(values.map((value, index) => (index === at ? bad : value)))).toBe(false)
    }
  })
})

describe('euclideanDistance', () => {
  const zeros = new Float32Array(descriptorLength)
  const withValues = (values: Record<number, number>) => {
    const descriptor = new Float32Array(descriptorLength)
    for (const [index, value] of Object.entries(values)) descriptor[Number(index)] = value
    return descriptor
  }

  it('is 0 between a descriptor and itself', () => {
    const descriptor = seededDescriptor(3)
    expect(euclideanDistance(descriptor, descriptor)).toBe(0)
  })

  it('is the length of a 3-4-5 triangle', () => {
    expect(euclideanDistance(zeros, withValues({ 0: 3, 127: 4 }))).toBe(5)
    expect(euclideanDistance(withValues({ 10: 1, 20: 1 }), withValues({ 10: 4, 20: 5 }))).toBe(5)
  })

  it('adds up every dimension', () => {
    expect(euclideanDistance(zeros, new Float32Array(descriptorLength).fill(1))).toBeCloseTo(Math.sqrt(128), 12)
    expect(euclideanDistance(new Float32Array(descriptorLength).fill(-0.5), new Float32Array(descriptorLength).fill(0.5))).toBeCloseTo(
      Math.sqrt(128),
      12,
    )
  })

  it('is the same both ways and works on plain arrays', () => {
    const a = seededDescriptor(10)
    const b = seededDescriptor(11)
    expect(euclideanDistance(a, b)).toBe(euclideanDistance(b, a))
    expect(euclideanDistance(Array.from(a), Array.from(b))).toBe(euclideanDistance(a, b))
    expect(euclideanDistance(a, b)).toBeGreaterThan(0)
  })

  it('survives the trip through base64: a decoded descriptor is at distance 0 from the original', () => {
    const descriptor = seededDescriptor(12)
    expect(euclideanDistance(decodeDescriptor(encodeDescriptor(descriptor)), descriptor)).toBe(0)
  })
})

describe('meanDescriptor', () => {
  it('is the element-wise mean, as the calibration and the evaluation use it for a person', () => {
    const a = seededDescriptor(1)
    const b = seededDescriptor(2)
    const mean = meanDescriptor([a, b])
    expect(mean).toHaveLength(descriptorLength)
    for (let index = 0; index < descriptorLength; index++) expect(mean[index]).toBeCloseTo((a[index]! + b[index]!) / 2, 6)
    expect(meanDescriptor([a])).toEqual(Float32Array.from(a))
  })
})
