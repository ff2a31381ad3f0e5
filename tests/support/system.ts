import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'

/** True when `command` runs from PATH. */
function onPath(command: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

/**
 * Makes sure a program the tests need is on the machine: where it is missing and the tests run as
 * root on Debian, installs `debianPackage` with apt; elsewhere throws with what to install.
 * `binary` is an absolute path or a command looked up on PATH.
 */
export function ensureProgram(binary: string, debianPackage: string, why: string): void {
  const present = () => (binary.startsWith('/') ? existsSync(binary) : onPath(binary))
  if (present()) return
  const canApt = process.getuid?.() === 0 && existsSync('/etc/debian_version')
  if (!canApt) throw new Error(`${why}: install it (Debian/Ubuntu: \`apt-get install ${debianPackage}\`).`)
  console.log(`${binary} not found: installing the Debian package \`${debianPackage}\` with apt…`)
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' })
  execFileSync('apt-get', ['install', '-y', '-qq', debianPackage], {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  })
  if (!present()) throw new Error(`apt installed ${debianPackage}, but ${binary} is still missing.`)
}
