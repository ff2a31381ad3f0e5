// `npm run hash-password`: asks for a password (or reads it from stdin) and prints the line to
// put in ADMIN_PASSWORD_HASH or VIEWER_PASSWORD_HASH. The password never appears on the command line.
import { formatPasswordHash, hashPassword } from '../api/auth/password.js'
import { maxPasswordLength } from '../api/auth/schema.js'

/** Reads one line from the terminal without echoing it. */
function askHidden(prompt: string): Promise<string> {
  process.stderr.write(prompt)
  const stdin = process.stdin
  stdin.setRawMode(true)
  stdin.resume()
  stdin.setEncoding('utf8')
  let typed = ''
  return new Promise((resolve, reject) => {
    const onData = (chunk: string) => {
      for (const char of chunk) {
        if (char === '\u0003') {
          stdin.setRawMode(false)
          reject(new Error('Canceled'))
          return
        }
        if (char === '\r' || char === '\n') {
          stdin.setRawMode(false)
          stdin.pause()
          stdin.off('data', onData)
          process.stderr.write('\n')
          resolve(typed)
          return
        }
        typed = char === '\u007f' ? typed.slice(0, -1) : typed + char
      }
    }
    stdin.on('data', onData)
  })
}

async function readPiped(): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '')
}

async function readPassword(): Promise<string> {
  if (!process.stdin.isTTY) return readPiped()
  const password = await askHidden('Password: ')
  if ((await askHidden('Again: ')) !== password) throw new Error('The two passwords differ')
  return password
}

try {
  const password = await readPassword()
  if (password.length < 8 || password.length > maxPasswordLength) {
    throw new Error(`A password needs 8 to ${maxPasswordLength} characters`)
  }
  process.stdout.write(`${formatPasswordHash(await hashPassword(password))}\n`)
} catch (err) {
  console.error((err as Error).message)
  process.exit(1)
}
