// How many test files run at once, and so how many shared sandbox hosts the integration project
// starts (one per worker: files on one worker run one after the other, as on a one-core machine).
// Most of an integration test's time is spent waiting on sshd, PostgreSQL and the simulator, so
// two files at once even on two cores; never more than four hosts.
import { availableParallelism } from 'node:os'

export const TEST_WORKERS = Math.min(4, Math.max(2, availableParallelism() - 1))
