import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import path from 'node:path'
import { facesDir } from './data.js'
import { ensureProgram } from './system.js'

/** A stretch of the fixture video, in seconds from its start. */
export interface ClipSpan {
  from: number
  to: number
}

/** The stretch where Lin-Manuel Miranda's face fills the stage, per the fixtures' manifest: 3 s to 7 s. */
export const linOnStage: ClipSpan = { from: 3, to: 7 }

/** The rate the fake camera plays the clip at, unless told otherwise. */
export const cameraFps = 15

/**
 * The fixture video converted for Chromium's fake camera (it plays .y4m and .mjpeg, not .mp4),
 * written into `dir`; only `span` of it when given (the camera loops it). Needs ffmpeg, installed
 * with apt when we are root on Debian.
 */
export function fakeCameraVideo(dir: string, fps = cameraFps, span?: ClipSpan): string {
  const output = path.join(dir, span ? `camera-${fps}fps-${span.from}-${span.to}.y4m` : `camera-${fps}fps.y4m`)
  if (!existsSync(output)) {
    ensureProgram('ffmpeg', 'ffmpeg', 'The fake camera needs ffmpeg to convert the fixture video')
    const input = path.join(facesDir, 'video/short_hamilton_clip.mp4')
    const trim = span ? ['-ss', String(span.from), '-to', String(span.to)] : []
    try {
      execFileSync('ffmpeg', ['-loglevel', 'error', '-y', ...trim, '-i', input, '-vf', `fps=${fps}`, '-pix_fmt', 'yuv420p', output])
    } catch (err) {
      throw new Error(`ffmpeg could not convert the fixture video (apt-get install ffmpeg): ${(err as Error).message}`)
    }
  }
  return output
}

/**
 * A camera that sees no face: two seconds of one plain color (an ffmpeg color name or 0xRRGGBB),
 * for Chromium's fake camera, written into `dir`.
 */
export function plainCameraVideo(dir: string, color: string): string {
  const output = path.join(dir, `plain-${color.replace(/\W/g, '')}.y4m`)
  if (!existsSync(output)) {
    ensureProgram('ffmpeg', 'ffmpeg', 'The fake camera needs ffmpeg to make a plain video')
    execFileSync('ffmpeg', ['-loglevel', 'error', '-y', '-f', 'lavfi', '-i', `color=c=${color}:s=640x360:r=15:d=2`, '-pix_fmt', 'yuv420p', output])
  }
  return output
}

/**
 * Frame `index` of the fixture video (its 275 frames counted from 0), scaled to the fake camera's
 * 640x360, as a JPEG: a camera snapshot of that moment.
 */
export function clipFrame(index: number): Buffer {
  ensureProgram('ffmpeg', 'ffmpeg', 'Frames of the fixture video need ffmpeg')
  const input = path.join(facesDir, 'video/short_hamilton_clip.mp4')
  const filter = `select=eq(n\\,${index}),scale=640:360`
  return execFileSync('ffmpeg', ['-loglevel', 'error', '-i', input, '-vf', filter, '-frames:v', '1', '-q:v', '2', '-f', 'image2pipe', '-c:v', 'mjpeg', '-'], { maxBuffer: 16 << 20 })
}
