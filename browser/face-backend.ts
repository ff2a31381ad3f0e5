// Which TensorFlow.js backend runs the networks. WebGL is fast only on a real GPU: on a software
// rasteriser (SwiftShader, llvmpipe) it was 16 times slower than WASM here, so "auto" uses WebGL
// only when the renderer is hardware.

export const backendChoices = ['auto', 'wasm', 'webgl', 'cpu'] as const
export type BackendChoice = (typeof backendChoices)[number]

const storageKey = 'facer.backend'

export function savedBackendChoice(): BackendChoice {
  const saved = globalThis.localStorage?.getItem(storageKey)
  return backendChoices.includes(saved as BackendChoice) ? (saved as BackendChoice) : 'auto'
}

export function saveBackendChoice(choice: BackendChoice): void {
  globalThis.localStorage?.setItem(storageKey, choice)
}

/** The WebGL renderer's name, or null without WebGL. */
export function webglRenderer(): string | null {
  const canvas = document.createElement('canvas')
  const gl = canvas.getContext('webgl2') ?? canvas.getContext('webgl')
  if (!gl) return null
  const info = gl.getExtension('WEBGL_debug_renderer_info')
  return String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER))
}

export function isSoftwareRenderer(renderer: string): boolean {
  return /swiftshader|llvmpipe|softpipe|software|basic render/i.test(renderer)
}

/** The backends to try, best first, for a choice. */
export function backendOrder(choice: BackendChoice): string[] {
  if (choice !== 'auto') return [choice, 'wasm', 'cpu']
  const renderer = webglRenderer()
  return renderer && !isSoftwareRenderer(renderer) ? ['webgl', 'wasm', 'cpu'] : ['wasm', 'cpu']
}
