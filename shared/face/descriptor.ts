// Face descriptors travel and rest as base64 of 128 little-endian float32s: 684 characters,
// about a fifth of the `{"0": …, "127": …}` objects face-api's JSON makes of a Float32Array.

export const descriptorLength = 128

const byteLength = descriptorLength * 4

function toBase64(bytes: Uint8Array): string {
  if (typeof Buffer !== 'undefined') return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')
  let binary = ''
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary)
}

function fromBase64(text: string): Uint8Array {
  if (typeof Buffer !== 'undefined') return Buffer.from(text, 'base64')
  const binary = atob(text)
  const bytes = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
  return bytes
}

export function encodeDescriptor(descriptor: ArrayLike<number>): string {
  if (descriptor.length !== descriptorLength) {
    throw new RangeError(`A descriptor has ${descriptorLength} numbers, not ${descriptor.length}`)
  }
  const view = new DataView(new ArrayBuffer(byteLength))
  for (let i = 0; i < descriptorLength; i++) view.setFloat32(i * 4, descriptor[i]!, true)
  return toBase64(new Uint8Array(view.buffer))
}

export function decodeDescriptor(text: string): Float32Array {
  const bytes = fromBase64(text)
  if (bytes.length !== byteLength) throw new RangeError(`A descriptor is ${byteLength} bytes, not ${bytes.length}`)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const descriptor = new Float32Array(descriptorLength)
  for (let i = 0; i < descriptorLength; i++) descriptor[i] = view.getFloat32(i * 4, true)
  return descriptor
}

// 512 bytes are 170 groups of three and two bytes over: 683 characters and one "=".
// Any other padding is 511 or 513 bytes, which decodeDescriptor refuses.
const encodedLength = Math.ceil((byteLength * 4) / 3) + 1
// The length is checked apart: a counted repeat ({683}) makes the pattern twice as slow.
const encodedPattern = /^[A-Za-z0-9+/]+=$/

/**
 * face-api's descriptor values stay within about ±0.4 (the fixture faces: at most 0.40, norms 1.35 to
 * 1.52); ±2 leaves a wide margin and still refuses NaN, ±Infinity and numbers no face gives, which
 * make every distance to that descriptor meaningless.
 */
export const maxDescriptorValue = 2

const isPlausible = (value: unknown) => typeof value === 'number' && value >= -maxDescriptorValue && value <= maxDescriptorValue

/** Whether every value is a number a face's descriptor can hold; the length is not checked. */
export function isPlausibleDescriptor(values: ArrayLike<unknown>): values is ArrayLike<number> {
  for (let i = 0; i < values.length; i++) if (!isPlausible(values[i])) return false
  return true
}

/** Whether a string has the form of an encoded descriptor, whatever numbers it holds. */
export function hasDescriptorForm(text: string): boolean {
  return text.length === encodedLength && encodedPattern.test(text)
}

/**
 * A check for schemas: the string decodes to a descriptor of plausible values. The numbers are read
 * from the bytes, no descriptor made of them: every read of the model checks all of its descriptors.
 */
export function isEncodedDescriptor(text: string): boolean {
  if (!hasDescriptorForm(text)) return false
  const bytes = fromBase64(text)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  for (let offset = 0; offset < byteLength; offset += 4) if (!isPlausible(view.getFloat32(offset, true))) return false
  return true
}

export function euclideanDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sum = 0
  for (let i = 0; i < a.length; i++) {
    const difference = a[i]! - b[i]!
    sum += difference * difference
  }
  return Math.sqrt(sum)
}

/** The element-wise mean of descriptors of the same length. */
export function meanDescriptor(descriptors: readonly ArrayLike<number>[]): Float32Array {
  const mean = new Float32Array(descriptors[0]?.length ?? descriptorLength)
  for (const descriptor of descriptors) {
    for (let index = 0; index < mean.length; index++) mean[index]! += descriptor[index]! / descriptors.length
  }
  return mean
}
