import { execFileSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { readBackupInputs } from '../../../src/actions/backup-run/inputs.js'
import { ConfigurationError } from '../../../src/core/errors.js'
import { inputsFrom } from '../../support/inputs.js'
import { testKeyInputs } from '../../support/keys.js'

const RECIPIENT = (/^# public key: (age1\S+)$/m.exec(execFileSync('age-keygen', { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })) as RegExpExecArray)[1] as string

const read = (values: Record<string, string>) =>
  readBackupInputs(
    inputsFrom({
      ...testKeyInputs(),
      host: 'dokku.example.com',
      's3-bucket': 'backups',
      's3-access-key-id': 'AKIAEXAMPLE',
      's3-secret-access-key': 'very-secret-key-value',
      'age-recipients': RECIPIENT,
      ...values
    })
  )

describe('backup-run seaweed: sources', () => {
  it('reads seaweed:<app>/<bucket> as that bucket, read with the store app\'s backup key: no source-s3 secret needed', () => {
    const config = read({ sources: 'seaweed:seaweedfs/uro-uploads\nconfig:uro' })
    expect(config.sources).toEqual([
      { kind: 'bucket', name: 'uro-uploads' },
      { kind: 'config', name: 'uro' }
    ])
    expect([...config.seaweedSources]).toEqual([['uro-uploads', 'seaweedfs']])
    expect(config.sourceS3).toBeUndefined()
  })

  it('still asks for source-s3 credentials for plain bucket: sources beside it', () => {
    expect(() => read({ sources: 'seaweed:seaweedfs/a-bucket\nbucket:other-bucket' })).toThrow(/source-s3-access-key-id/)
  })

  it('refuses hostile names and other modes', () => {
    for (const bad of ['seaweed:Sea/uro-uploads', 'seaweed:$(id)/uro-uploads', 'seaweed:seaweedfs/Bad_Bucket', 'seaweed:seaweedfs/a;b'])
      expect(() => read({ sources: bad }), bad).toThrow(ConfigurationError)
    expect(() => read({ mode: 'verify', sources: 'seaweed:seaweedfs/uro-uploads' })).toThrow(/name the bucket as bucket:<name>/)
  })
})
