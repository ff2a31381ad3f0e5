// The dot products of one query with every row of a gallery quantised to int8, the one loop the server
// matcher (matcher.ts) runs over all rows. WebAssembly SIMD multiplies 8 pairs of numbers in one
// instruction (i32x4.dot_i16x8_s): a tenth of the time of the JavaScript loop over the same bytes at
// 100,000 rows. The module is small enough to write out here, and is checked against plainDots in
// matcher.test.ts. Where WebAssembly SIMD is missing, plainDots does the same sums.
import { descriptorLength } from '../../shared/face/descriptor.js'

/** The sums of query[i] * row[i] over each row of `rows` (int8, descriptorLength a row), into `out`. */
export type DotsOf = (query: Int8Array, rows: Int8Array, out: Int32Array) => void

export const plainDots: DotsOf = (query, rows, out) => {
  for (let row = 0, offset = 0; row < out.length; row++, offset += descriptorLength) {
    let sum = 0
    for (let i = 0; i < descriptorLength; i++) sum += query[i]! * rows[offset + i]!
    out[row] = sum
  }
}

const uleb = (value: number): number[] => {
  const bytes: number[] = []
  do {
    let byte = value & 0x7f
    value >>>= 7
    if (value) byte |= 0x80
    bytes.push(byte)
  } while (value)
  return bytes
}
const section = (id: number, content: number[]) => [id, ...uleb(content.length), ...content]
const vector = (items: number[][]) => [...uleb(items.length), ...items.flat()]
const name = (text: string) => [...uleb(text.length), ...Buffer.from(text, 'ascii')]

const op = {
  block: 0x02,
  loop: 0x03,
  brIf: 0x0d,
  br: 0x0c,
  end: 0x0b,
  localGet: 0x20,
  localSet: 0x21,
  i32Store: 0x36,
  i32Const: 0x41,
  i32Eqz: 0x45,
  i32Add: 0x6a,
  i32Sub: 0x6b,
  i32: 0x7f,
  v128: 0x7b,
  void: 0x40,
} as const
/** SIMD instructions: the 0xfd prefix, then the instruction's number. */
const simd = (code: number) => [0xfd, ...uleb(code)]
const v128Load8x8s = (offset: number) => [...simd(0x01), 3, ...uleb(offset)]
const i32x4ExtractLane = (lane: number) => [...simd(0x1b), lane]
const i32x4Add = simd(0xae)
const i32x4DotI16x8s = simd(0xba)
const v128Zero = [...simd(0x0c), ...new Array<number>(16).fill(0)]

/** Eight numbers a load: a row is this many loads. */
const loadsPerRow = descriptorLength / 8

/**
 * dots(query, rows, count, out): parameters 0–3 are addresses (i32) and a count; locals 4..4+loadsPerRow
 * hold the query as i16x8, then the accumulator.
 */
function dotsModule(): Uint8Array {
  const [query, rows, count, out] = [0, 1, 2, 3]
  const queryLane = (k: number) => 4 + k
  const sum = 4 + loadsPerRow
  const body: number[] = []
  for (let k = 0; k < loadsPerRow; k++) body.push(op.localGet, query, ...v128Load8x8s(k * 8), op.localSet, queryLane(k))
  body.push(op.block, op.void, op.loop, op.void)
  body.push(op.localGet, count, op.i32Eqz, op.brIf, 1)
  body.push(...v128Zero, op.localSet, sum)
  for (let k = 0; k < loadsPerRow; k++) {
    body.push(op.localGet, sum, op.localGet, rows, ...v128Load8x8s(k * 8), op.localGet, queryLane(k), ...i32x4DotI16x8s, ...i32x4Add, op.localSet, sum)
  }
  // out[row] = the four lanes' sum
  body.push(op.localGet, out)
  body.push(op.localGet, sum, ...i32x4ExtractLane(0), op.localGet, sum, ...i32x4ExtractLane(1), op.i32Add)
  body.push(op.localGet, sum, ...i32x4ExtractLane(2), op.i32Add, op.localGet, sum, ...i32x4ExtractLane(3), op.i32Add)
  body.push(op.i32Store, 2, 0)
  body.push(op.localGet, rows, op.i32Const, ...uleb(descriptorLength), op.i32Add, op.localSet, rows)
  body.push(op.localGet, out, op.i32Const, 4, op.i32Add, op.localSet, out)
  body.push(op.localGet, count, op.i32Const, 1, op.i32Sub, op.localSet, count)
  body.push(op.br, 0, op.end, op.end, op.end)
  const locals = vector([[...uleb(loadsPerRow + 1), op.v128]])
  const code = [...locals, ...body]
  return Uint8Array.from([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vector([[0x60, ...vector([[op.i32], [op.i32], [op.i32], [op.i32]]), 0]])),
    ...section(2, vector([[...name('env'), ...name('memory'), 0x02, 0x00, 0x01]])),
    ...section(3, vector([[0]])),
    ...section(7, vector([[...name('dots'), 0x00, 0]])),
    ...section(10, vector([[...uleb(code.length), ...code]])),
  ])
}

const pageBytes = 65_536

/** The parts of WebAssembly used here: Node has them all, but its type library does not declare them (the DOM's does). */
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object
  Memory: new (descriptor: { initial: number }) => { readonly buffer: ArrayBuffer; grow(pages: number): number }
  Instance: new (module: object, imports: object) => { readonly exports: object }
}

/**
 * The WebAssembly kernel, or null where this runtime has no WebAssembly SIMD. Its memory holds the
 * query, then the rows, then the sums, and grows with the gallery.
 */
export function simdDots(): DotsOf | null {
  let module: object
  try {
    module = new WebAssembly.Module(dotsModule())
  } catch {
    return null
  }
  const memory = new WebAssembly.Memory({ initial: 1 })
  const { dots } = new WebAssembly.Instance(module, { env: { memory } }).exports as { dots: (query: number, rows: number, count: number, out: number) => void }
  let rowsIn: Int8Array | null = null
  return (query, rows, out) => {
    const rowsAt = descriptorLength
    const outAt = rowsAt + rows.length
    const needed = outAt + out.length * 4
    if (memory.buffer.byteLength < needed) memory.grow(Math.ceil((needed - memory.buffer.byteLength) / pageBytes))
    const bytes = new Int8Array(memory.buffer)
    bytes.set(query, 0)
    // The rows are copied in once for each gallery, not for each query.
    if (rowsIn !== rows) {
      bytes.set(rows, rowsAt)
      rowsIn = rows
    }
    dots(0, rowsAt, out.length, outAt)
    out.set(new Int32Array(memory.buffer, outAt, out.length))
  }
}
