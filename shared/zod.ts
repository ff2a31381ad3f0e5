// zod, as the schemas the browser also runs use it. zod compiles a fast path for object schemas with
// `new Function`, and tries whether it may as each schema is made. The pages' CSP allows no eval, so every
// try is a reported violation, on the page and in the recognition worker: there it is told not to try,
// before any schema exists (this module is imported first). Node keeps the fast path: the server parses
// models of up to 100,000 descriptors.
import { z } from 'zod'

const inNode = typeof process !== 'undefined' && Boolean(process.versions?.node)
if (!inNode) z.config({ jitless: true })

export { z }
