import { configDefaults, defineConfig } from 'vitest/config'

/**
 * The API tests that talk HTTP and check only answers (and the race tests, whose helpers read the
 * database), run on both backends. Files-only, as they look into DATA_DIR or write there behind the
 * API's back: faces, descriptor-values and model-limits (read or damage faces.json), photos (files in
 * users/ and .uploads/, temp files, leftovers), people and users (folders, files dropped into users/),
 * health (a data folder that is a file), hostile (snapshots DATA_DIR around every request), and the
 * files backend's own tests (storage/lock, storage/deletion-leftovers, auth/session).
 */
const postgresApiTests = ['api/assets/assets.test.ts', 'api/errors.test.ts', 'api/security/host.test.ts', 'api/security/security.test.ts', 'api/users/races.test.ts']

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
          // The API tests that talk HTTP and look at nothing but answers, again with PostgreSQL as the
          // backend (tests/support/api.ts switches it), and the tests of PostgreSQL itself.
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
