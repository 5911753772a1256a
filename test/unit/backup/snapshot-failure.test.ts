// Reading redis's INFO persistence for a snapshot that failed (a full disk): redis:export would
// otherwise wait for it until its time limit.
import { describe, expect, it } from 'vitest'
import { snapshotFailure } from '../../../src/core/backup/databases.ts'

const info = (inProgress: 0 | 1, status: 'ok' | 'err') =>
  `# Persistence\r\nloading:0\r\nrdb_changes_since_last_save:3000\r\nrdb_bgsave_in_progress:${inProgress}\r\nrdb_last_save_time:1765120000\r\nrdb_last_bgsave_status:${status}\r\n`

describe('snapshotFailure', () => {
  it('names a failed BGSAVE once none is running', () => {
    expect(snapshotFailure(info(0, 'err'))).toBe('rdb_last_bgsave_status:err')
  })
  it('says nothing while a BGSAVE runs (the failure may be an older one), nor after one that succeeded', () => {
    expect(snapshotFailure(info(1, 'err'))).toBeUndefined()
    expect(snapshotFailure(info(0, 'ok'))).toBeUndefined()
  })
  it('says nothing for an answer without the fields (an error, an old server)', () => {
    expect(snapshotFailure('')).toBeUndefined()
    expect(snapshotFailure('NOAUTH Authentication required.\n')).toBeUndefined()
  })
})
