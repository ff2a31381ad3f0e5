import { describe, it } from 'vitest'
import { useApp } from '../support/app.js'
import {
  inRounds,
  raceCaseVariants,
  raceDeleteAndRename,
  raceRenamesToOneName,
  raceTrainingAndRemoval,
  raceUploadAndDelete,
  type Arena,
} from '../support/people.js'

const rounds = 10

/**
 * The races of api/people/races.test.ts with each of the two requests sent to another production
 * server process on the same DATA_DIR, as PM2's cluster mode runs them: the lock that makes each
 * check and act one step is held across processes.
 */
describe('people: requests racing on the same names from two server processes on one data folder', () => {
  const app = useApp({ servers: 2, env: { UPLOAD_RATE_LIMIT: '0' }, browser: false })
  const arena = (): Arena => ({ dataDir: app.data.path, urls: [app.servers[0]!.url, app.servers[1]!.url] })

  it('registers one of five spellings of a name sent at once, and refuses the others with 409', async () => {
    await inRounds(rounds, (round, agents) => raceCaseVariants(arena(), round, agents))
  })

  it('renames two people to one name at once: one 200, one 409, both people whole', async () => {
    await inRounds(rounds, (round, agents) => raceRenamesToOneName(arena(), round, agents, round % 2 === 1))
  })

  it('deletes a person in one process while the other renames them: one wins, the other gets 404', async () => {
    await inRounds(rounds, (round, agents) => raceDeleteAndRename(arena(), round, agents))
  })

  it('deletes a person in one process while the other writes their descriptors: none outlive the folder', async () => {
    await inRounds(rounds, (round, agents) => raceTrainingAndRemoval(arena(), round, agents, { method: 'PATCH' }))
  })

  it('renames a person in one process while the other writes their descriptors: none left under the old name', async () => {
    await inRounds(rounds, (round, agents) => raceTrainingAndRemoval(arena(), round + 100, agents, { method: 'PATCH', renameTo: 'Renamed' }))
  })

  it('deletes a person in one process while the other stores a photo for them: nothing left over', async () => {
    await inRounds(rounds, (round, agents) => raceUploadAndDelete(arena(), round, agents))
  })
})
