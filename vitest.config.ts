import { configDefaults, defineConfig } from 'vitest/config'

/**
 * The API suite runs on both backends: every API test file that serves a data folder over HTTP, in the
 * unit+api project on the files and again here with PostgreSQL. What is stored, a test reads through
 * tests/support/stored.ts (the Storage port of the backend its API uses), so one assertion holds on both.
 * Files-only, beside them, are the tests about the files backend itself, in `*.files.test.ts` files: they
 * change DATA_DIR behind the API's back (a damaged or older faces.json, a photo's bytes, strays in users/)
 * or watch faces.json and its lock; and the files backend's own tests (storage/lock,
 * storage/deletion-leftovers, storage/model-watch, auth/session). Unit tests (config, password, safe-path,
 * matcher) need no backend.
 */
const postgresApiTests = [
  'api/assets/assets.test.ts',
  'api/errors.test.ts',
  'api/faces/descriptor-values.test.ts',
  'api/faces/events.test.ts',
  'api/faces/faces.test.ts',
  'api/faces/match-route.test.ts',
  'api/faces/model-limits.test.ts',
  'api/health/health.test.ts',
  'api/people/alias.test.ts',
  'api/people/people.test.ts',
  'api/people/races.test.ts',
  'api/people/registration.test.ts',
  'api/photos/photos.test.ts',
  'api/security/hostile.test.ts',
  'api/security/host.test.ts',
  'api/security/security.test.ts',
]

export default defineConfig({
  test: {
    reporters: ['default', './tests/support/summary-reporter.ts'],
    projects: [
      {
        test: {
          name: 'unit+api',
          include: ['api/**/*.test.ts', 'shared/**/*.test.ts', 'store/**/*.test.ts', 'server/**/*.test.ts', 'scripts/**/*.test.ts'],
          exclude: [...configDefaults.exclude, 'api/storage/postgres/**'],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          // The API suite again with PostgreSQL as the backend (tests/support/api.ts switches it), and
          // the tests of PostgreSQL itself and of several hosts on one database.
          name: 'api-postgres',
          include: [...postgresApiTests, 'api/storage/postgres/**/*.test.ts', 'tests/hosts/**/*.test.ts'],
          globalSetup: ['tests/support/postgres-setup.ts'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['tests/e2e/**/*.test.ts'],
          globalSetup: ['tests/e2e/global-setup.ts'],
          // Chromium and the model networks share 2 cores: one file at a time.
          fileParallelism: false,
          // Pages answer in their own time on 2 busy cores: poll for up to 10 s, not 1.
          expect: { poll: { timeout: 10_000 } },
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
})
