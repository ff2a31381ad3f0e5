import { describe, it } from 'vitest'
import { useTestApi } from '../../tests/support/api.js'
import {
  inRounds,
  raceCaseVariants,
  raceCreateAndRename,
  raceDeleteAndRename,
  raceRenamesToOneName,
  raceTrainingAndRemoval,
  raceUploadAndDelete,
  raceUploadAndRename,
  type Arena,
} from '../../tests/support/people.js'

// Each race is run this many times, each time on new names; tests/e2e/people-processes.test.ts runs them across two processes.
const rounds = 12
// Every photo uploaded is searched for its face by the server (a second or so on 2 busy cores): rounds with uploads take their time.
const withUploads = { timeout: 120_000 }

describe('people: requests racing on the same names and folders, from two clients', withUploads, () => {
  const api = useTestApi(undefined, { UPLOAD_RATE_LIMIT: '0' })
  const arena = (): Arena => ({ dataDir: api.dataDir, urls: [api.url, api.url] })

  it('registers one of five spellings of a name sent at once (case, full width), and refuses the others with 409', async () => {
    await inRounds(rounds, (round, agents) => raceCaseVariants(arena(), round, agents))
  })

  it.each([
    { label: 'both with photos and descriptors', secondEmpty: false },
    { label: 'the second with no photo', secondEmpty: true },
  ])('renames two people to one name at once ($label): one 200, one 409, both people whole', async ({ secondEmpty }) => {
    await inRounds(rounds, (round, agents) => raceRenamesToOneName(arena(), round + (secondEmpty ? 100 : 0), agents, secondEmpty))
  })

  it('registers a name while someone is renamed to it: one 409, one person under that name', async () => {
    await inRounds(rounds, (round, agents) => raceCreateAndRename(arena(), round, agents))
  })

  it('deletes a person while they are renamed: one wins, the other gets 404, descriptors follow the folder', async () => {
    await inRounds(rounds, (round, agents) => raceDeleteAndRename(arena(), round, agents))
  })

  it.each(['PATCH', 'PUT'] as const)('deletes a person while training sends their descriptors with %s: none outlive the folder', async (method) => {
    await inRounds(rounds, (round, agents) => raceTrainingAndRemoval(arena(), round + (method === 'PUT' ? 100 : 0), agents, { method }))
  })

  it('renames a person while training PATCHes their descriptors: every accepted descriptor under the new name, none under the old', async () => {
    await inRounds(rounds, (round, agents) => raceTrainingAndRemoval(arena(), round + 200, agents, { method: 'PATCH', renameTo: 'Renamed' }))
  })

  it('uploads a photo while its person is deleted: stored and deleted with them, or 404; nothing left over', async () => {
    await inRounds(rounds, (round, agents) => raceUploadAndDelete(arena(), round, agents))
  })

  it('uploads three photos while their person is renamed: all under the new name, or none; nothing left over', async () => {
    await inRounds(rounds, (round, agents) => raceUploadAndRename(arena(), round, agents))
  })
})
