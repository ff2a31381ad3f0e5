// Folders of labeled photos for `npm run eval` and `npm run calibrate`: `<folder>/<person>/<photos>`,
// or a verification set (`images/` with `master.csv` and `pivot.csv`, which name no people: their "Yes"
// pairs join photos into people).
import { readdir, readFile, stat } from 'node:fs/promises'
import path from 'node:path'

export interface LabeledPhoto {
  /** How reports name the photo: `<person>/<file>`, or the file name in a verification set. */
  key: string
  person: string
  file: string
}

/** A photo that gave no descriptor, and why (an enrollment rejection, or "unreadable"). */
export interface UnusablePhoto {
  photo: string
  reason: string
  detail: string
}

export interface LabeledPair {
  a: string
  b: string
  same: boolean
}

export function photoNumber(key: string): number {
  return Number(/(\d+)\.\w+$/.exec(key)?.[1] ?? Number.NaN)
}

export function readCsv(text: string): Record<string, string>[] {
  const [header, ...lines] = text.trim().split(/\r?\n/)
  const columns = header!.split(',')
  return lines.map((line) => {
    const cells = line.split(',')
    return Object.fromEntries(columns.map((column, index) => [column, cells[index] ?? '']))
  })
}

/** Joins photos into people along the "Yes" pairs; a "No" pair inside one person is an error in the labels. */
export function peopleFromPairs(pairs: LabeledPair[]): Map<string, string> {
  const parent = new Map<string, string>()
  const root = (key: string): string => {
    if (!parent.has(key)) parent.set(key, key)
    let current = key
    while (parent.get(current) !== current) current = parent.get(current)!
    return current
  }
  for (const pair of pairs) {
    const [a, b] = [root(pair.a), root(pair.b)]
    if (pair.same && a !== b) parent.set(a, b)
  }
  const groups = new Map<string, string[]>()
  for (const key of parent.keys()) groups.set(root(key), [...(groups.get(root(key)) ?? []), key])
  const personOf = new Map<string, string>()
  for (const members of groups.values()) {
    const sorted = members.sort((a, b) => photoNumber(a) - photoNumber(b))
    for (const key of sorted) personOf.set(key, `person of ${sorted[0]}`)
  }
  for (const pair of pairs) {
    if (!pair.same && personOf.get(pair.a) === personOf.get(pair.b)) {
      throw new Error(`${pair.a} and ${pair.b} are labeled different people but joined by other pairs`)
    }
  }
  return personOf
}

export async function readPairs(file: string, decisionColumn: string): Promise<LabeledPair[]> {
  return readCsv(await readFile(file, 'utf8')).map((row) => ({ a: row.file_x!, b: row.file_y!, same: row[decisionColumn] === 'Yes' }))
}

async function isFile(file: string): Promise<boolean> {
  return (await stat(file).catch(() => null))?.isFile() ?? false
}

const byName = (a: string, b: string) => a.localeCompare(b, 'en', { numeric: true })

/** Every labeled photo of a folder, each person's photos in name order (numbers compared as numbers). */
export async function readPhotoSet(folder: string): Promise<LabeledPhoto[]> {
  if ((await isFile(path.join(folder, 'master.csv'))) && (await isFile(path.join(folder, 'pivot.csv')))) {
    const pairs = [...(await readPairs(path.join(folder, 'master.csv'), 'Decision')), ...(await readPairs(path.join(folder, 'pivot.csv'), 'decision'))]
    return [...peopleFromPairs(pairs)]
      .map(([key, person]) => ({ key, person, file: path.join(folder, 'images', key) }))
      .sort((a, b) => photoNumber(a.key) - photoNumber(b.key))
  }
  const entries = await readdir(folder, { withFileTypes: true })
  const people = entries.filter((entry) => entry.isDirectory() && !entry.name.startsWith('.')).map((entry) => entry.name).sort(byName)
  if (!people.length) throw new Error(`${folder} holds no <person>/ folders (nor a verification set's images/, master.csv and pivot.csv)`)
  const photos: LabeledPhoto[] = []
  for (const person of people) {
    const files = (await readdir(path.join(folder, person), { withFileTypes: true }))
      .filter((entry) => entry.isFile() && !entry.name.startsWith('.'))
      .map((entry) => entry.name)
      .sort(byName)
    for (const file of files) photos.push({ key: `${person}/${file}`, person, file: path.join(folder, person, file) })
  }
  return photos
}
