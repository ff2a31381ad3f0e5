// Loaded into a server process with `node --import` by tests/e2e/faults.test.ts, only where the
// test cannot mount a small tmpfs of its own: makes writes under FACER_FAULT_DIR fail the way a
// full disk (ENOSPC: the file is created, then a write fails part-way) or a read-only one (EROFS:
// nothing can be created, renamed or removed) fails them, while FACER_FAULT_SWITCH holds that code.
// The server's own code is untouched: this replaces node:fs functions before it loads.
import fs from 'node:fs'
import { syncBuiltinESMExports } from 'node:module'
import path from 'node:path'

const root = path.resolve(process.env.FACER_FAULT_DIR ?? '/nonexistent')
const switchFile = process.env.FACER_FAULT_SWITCH ?? ''

function faultFor(target) {
  if (typeof target !== 'string' && !(target instanceof URL)) return undefined
  const file = path.resolve(target instanceof URL ? target.pathname : target)
  if (file !== root && !file.startsWith(root + path.sep)) return undefined
  try {
    return fs.readFileSync(switchFile, 'utf8').trim() || undefined
  } catch {
    return undefined
  }
}

function failure(code, syscall, file) {
  const messages = { ENOSPC: 'no space left on device', EROFS: 'read-only file system' }
  return Object.assign(new Error(`${code}: ${messages[code]}, ${syscall} '${file}'`), { code, syscall, path: String(file) })
}

const promises = fs.promises
const real = {
  open: promises.open,
  writeFile: promises.writeFile,
  mkdir: promises.mkdir,
  rename: promises.rename,
  rm: promises.rm,
  unlink: promises.unlink,
  link: promises.link,
  mkdirCallback: fs.mkdir,
  openCallback: fs.open,
  closeCallback: fs.close,
  write: fs.write,
  writev: fs.writev,
}

/** A full disk: half of the data reaches the file, then the write fails. */
async function writeHalf(handle, data, file) {
  const bytes = typeof data === 'string' ? Buffer.from(data) : Buffer.from(data.buffer ?? data)
  await handle.write(bytes.subarray(0, Math.floor(bytes.length / 2)))
  throw failure('ENOSPC', 'write', file)
}

promises.open = async function open(file, flags = 'r', mode) {
  const fault = faultFor(file)
  if (!fault || !/[wax+]/.test(String(flags))) return real.open(file, flags, mode)
  if (fault === 'EROFS') throw failure('EROFS', 'open', file)
  const handle = await real.open(file, flags, mode)
  handle.writeFile = (data) => writeHalf(handle, data, file)
  return handle
}

promises.writeFile = async function writeFile(file, data, options) {
  const fault = faultFor(file)
  if (!fault) return real.writeFile(file, data, options)
  if (fault === 'EROFS') throw failure('EROFS', 'open', file)
  const flag = typeof options === 'object' && options?.flag ? options.flag : 'w'
  const handle = await real.open(file, flag)
  try {
    await writeHalf(handle, data, file)
  } finally {
    await handle.close()
  }
}

for (const name of ['mkdir', 'rename', 'rm', 'unlink', 'link']) {
  promises[name] = async function (file, ...rest) {
    if (faultFor(file) === 'EROFS' || (name === 'rename' || name === 'link' ? faultFor(rest[0]) === 'EROFS' : false)) {
      throw failure('EROFS', name, file)
    }
    return real[name](file, ...rest)
  }
}

// proper-lockfile takes its lock with the callback mkdir.
fs.mkdir = function mkdir(file, ...rest) {
  const callback = rest.at(-1)
  if (faultFor(file) === 'EROFS' && typeof callback === 'function') {
    process.nextTick(callback, failure('EROFS', 'mkdir', file))
    return
  }
  return real.mkdirCallback(file, ...rest)
}

// fs.createWriteStream (multer's disk storage) opens and writes with the callback functions: a
// file opened for writing on a full disk fails its first write.
const fullDiskDescriptors = new Set()

fs.open = function open(file, flags, mode, callback) {
  if (typeof flags === 'function') [flags, mode, callback] = ['r', undefined, flags]
  else if (typeof mode === 'function') [mode, callback] = [undefined, mode]
  const fault = faultFor(file)
  if (!fault || !/[wax+]/.test(String(flags))) return real.openCallback(file, flags, mode, callback)
  if (fault === 'EROFS') return process.nextTick(callback, failure('EROFS', 'open', file))
  real.openCallback(file, flags, mode, (err, fd) => {
    if (!err) fullDiskDescriptors.add(fd)
    callback(err, fd)
  })
}

for (const name of ['write', 'writev']) {
  fs[name] = function (fd, ...rest) {
    if (!fullDiskDescriptors.has(fd)) return real[name](fd, ...rest)
    process.nextTick(rest.at(-1), failure('ENOSPC', name, `descriptor ${fd}`))
  }
}

fs.close = function close(fd, ...rest) {
  fullDiskDescriptors.delete(fd)
  return real.closeCallback(fd, ...rest)
}

syncBuiltinESMExports()
