// A ROC curve as a PNG: SVG drawn here, rasterised by sharp (no canvas or plotting package needed).
import sharp from 'sharp'

export interface RocPoint {
  threshold: number
  /** Genuine queries named as their own person at this threshold, 0 to 1. */
  correctAccept: number
  /** Strangers named as someone at this threshold, 0 to 1. */
  strangerAccept: number
}

const escape = (text: string) => text.replace(/[<>&"]/g, (character) => `&#${character.charCodeAt(0)};`)

/** The curve, with the point nearest to `operating` (the app's threshold) marked. */
export async function renderRoc(points: RocPoint[], { title, operating }: { title: string; operating: number }): Promise<Buffer> {
  const [width, height, left, top, size] = [640, 560, 80, 50, 440]
  const x = (value: number) => left + value * size
  const y = (value: number) => top + (1 - value) * size
  const sorted = [...points].sort((a, b) => a.threshold - b.threshold)
  const path = sorted.map((point, index) => `${index ? 'L' : 'M'}${x(point.strangerAccept).toFixed(1)},${y(point.correctAccept).toFixed(1)}`).join(' ')
  const at = sorted.filter((point) => point.threshold <= operating + 1e-6).at(-1) ?? sorted[0]!
  const ticks = [0, 0.2, 0.4, 0.6, 0.8, 1]
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="DejaVu Sans, sans-serif" font-size="14">
  <rect width="100%" height="100%" fill="#fff"/>
  <text x="${width / 2}" y="28" text-anchor="middle" font-size="16">${escape(title)}</text>
  ${ticks.map((tick) => `<line x1="${x(tick)}" y1="${y(0)}" x2="${x(tick)}" y2="${y(1)}" stroke="#ddd"/><line x1="${x(0)}" y1="${y(tick)}" x2="${x(1)}" y2="${y(tick)}" stroke="#ddd"/>
  <text x="${x(tick)}" y="${y(0) + 20}" text-anchor="middle">${tick * 100}%</text><text x="${x(0) - 8}" y="${y(tick) + 5}" text-anchor="end">${tick * 100}%</text>`).join('\n  ')}
  <rect x="${x(0)}" y="${y(1)}" width="${size}" height="${size}" fill="none" stroke="#333"/>
  <path d="${path}" fill="none" stroke="#1f6feb" stroke-width="3"/>
  <circle cx="${x(at.strangerAccept)}" cy="${y(at.correctAccept)}" r="7" fill="#d1242f"/>
  <text x="${x(at.strangerAccept) + 12}" y="${y(at.correctAccept) + 22}" fill="#d1242f">threshold ${operating.toFixed(2)}: ${(at.correctAccept * 100).toFixed(1)}% correct, ${(at.strangerAccept * 100).toFixed(1)}% strangers</text>
  <text x="${x(0.5)}" y="${height - 20}" text-anchor="middle">strangers named as someone (false accept)</text>
  <text transform="translate(24 ${y(0.5)}) rotate(-90)" text-anchor="middle">genuine faces named correctly</text>
</svg>`
  return sharp(Buffer.from(svg)).png().toBuffer()
}
