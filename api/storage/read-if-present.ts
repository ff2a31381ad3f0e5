import { readFile } from 'node:fs/promises'

/** A file's content, or undefined where there is no such file; any other failure is thrown. */
export async function readIfPresent(file: string): Promise<Buffer | undefined>
export async function readIfPresent(file: string, encoding: 'utf8'): Promise<string | undefined>
export async function readIfPresent(file: string, encoding?: 'utf8'): Promise<Buffer | string | undefined> {
  try {
    return encoding ? await readFile(file, encoding) : await readFile(file)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
}
