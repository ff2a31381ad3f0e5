import express from 'express'
import { modelLimits } from '../../shared/face/model.js'
import { HttpError } from '../errors.js'

/**
 * The most objects and arrays a body within modelLimits holds: the root and the list of people; per
 * person an object and its two lists; per descriptor its entry and its box (the reference app's
 * form: its entry and its numbers); per rejected photo an object.
 */
const maxContainers = 2 + 3 * modelLimits.people + 3 * modelLimits.entries

const [openBrace, openBracket, quote, backslash] = ['{', '[', '"', '\\'].map((char) => char.charCodeAt(0))

/** '{' and '[' bytes, strings included, counted up to `stopAfter` and one more. */
function bracketBytes(body: Buffer, stopAfter: number): number {
  let count = 0
  for (const byte of [openBrace!, openBracket!]) {
    for (let at = body.indexOf(byte); at !== -1 && count <= stopAfter; at = body.indexOf(byte, at + 1)) count++
  }
  return count
}

/** Objects and arrays, counted up to `stopAfter` and one more: '{' and '[' outside strings. */
function containers(body: Buffer, stopAfter: number): number {
  let count = 0
  let inString = false
  for (let i = 0; i < body.length && count <= stopAfter; i++) {
    const byte = body[i]
    if (inString) {
      if (byte === backslash) i++
      else if (byte === quote) inString = false
    } else if (byte === quote) inString = true
    else if (byte === openBrace || byte === openBracket) count++
  }
  return count
}

/**
 * JSON bodies of the face model routes, up to 100 MB (100,000 descriptors take about 75 MB).
 * JSON.parse of 24 MB of `[{},{},…]` takes seconds and half a gigabyte before any schema sees it,
 * 100 MB over a minute and 2 GB: a body with more objects and arrays than a model can hold is
 * refused before it is parsed. Counting bytes natively is exact unless strings hold brackets; only
 * then are the strings told apart.
 */
export const modelJson = express.json({
  limit: '100mb',
  verify(_req, _res, body) {
    if (bracketBytes(body, maxContainers) > maxContainers && containers(body, maxContainers) > maxContainers) {
      throw new HttpError(413, 'model_too_large', `The face model is too large: more than ${maxContainers} objects and lists`)
    }
  },
})
