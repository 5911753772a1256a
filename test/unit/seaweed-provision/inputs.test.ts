import { describe, expect, it } from 'vitest'
import { readSeaweedInputs } from '../../../src/actions/seaweed-provision/inputs.js'
import { ConfigurationError } from '../../../src/core/errors.js'
import { bucketNameProblem } from '../../../src/core/s3/names.js'
import { checkSeaweedImage, identityActions, identityPolicy, seaweedWrapper } from '../../../src/core/seaweed/recipe.js'
import { inputsFrom } from '../../support/inputs.js'
import { testKeyInputs } from '../../support/keys.js'

function read(values: Record<string, string>) {
  return readSeaweedInputs(inputsFrom({ ...testKeyInputs(), host: 'dokku.example.com', endpoint: 'http://127.0.0.1:9000', ...values }))
}

function refusal(values: Record<string, string>): ConfigurationError {
  try {
    read(values)
  } catch (error) {
    if (error instanceof ConfigurationError) return error
    throw error
  }
  throw new Error('expected a ConfigurationError')
}

describe('readSeaweedInputs', () => {
  it('reads the defaults and one access line per app', () => {
    const config = read({ buckets: 'uro-uploads\nuro-avatars', access: 'uro uro-uploads,uro-avatars readwrite\nreports uro-uploads read' })
    expect(config).toMatchObject({ app: 'seaweedfs', buckets: ['uro-uploads', 'uro-avatars'], appEndpoint: 'internal', region: 'us-east-1', selfTest: true, adminPassword: undefined })
    expect(config.image).toMatchObject({ reference: 'chrislusf/seaweedfs:4.48@sha256:4e61d15fd35994cb1e43e1e553dff106794841fd9a99ade2fc8c8bfce4d7872d', version: { major: 4, minor: 48 }, pinned: true })
    expect(config.access).toEqual([
      { app: 'uro', buckets: ['uro-uploads', 'uro-avatars'], access: 'readwrite' },
      { app: 'reports', buckets: ['uro-uploads'], access: 'read' }
    ])
    expect(config.envNames.AWS_S3_BUCKET).toBe('AWS_S3_BUCKET')
    expect(config.endpoint).toBe('http://127.0.0.1:9000')
  })

  it('refuses an image older than 4.43, naming the acknowledged-upload deletion race', () => {
    const old = refusal({ image: 'chrislusf/seaweedfs:4.42' })
    expect(old.input).toBe('image')
    expect(old.message).toContain('got "chrislusf/seaweedfs:4.42"')
    expect(old.message).toContain('can delete an object it already acknowledged with 200')
    expect(old.message).toContain('4.43')
    expect(refusal({ image: 'chrislusf/seaweedfs:3.99' }).message).toContain('older than 4.43')
    expect(refusal({ image: 'chrislusf/seaweedfs:latest' }).message).toContain('not a SeaweedFS version')
    expect(refusal({ image: 'chrislusf/seaweedfs' }).message).toContain('with a version tag')
    const digest = `sha256:${'a'.repeat(64)}`
    expect(read({ image: `chrislusf/seaweedfs:4.47_large_disk@${digest}` }).image).toMatchObject({ pinned: true, version: { major: 4, minor: 47 } })
  })

  it('refuses hostile bucket names by the S3 rules', () => {
    for (const bad of ['ab', 'Uro', 'uro_uploads', '-uro', 'uro..x', '192.168.1.1', 'xn--uro', 'a'.repeat(64), 'uro/uploads', '../etc', 'uro uploads'])
      expect(refusal({ buckets: bad }).input, bad).toBe('buckets')
    expect(refusal({ buckets: 'Uro' }).message).toContain('Follow the S3 bucket naming rules')
    expect(refusal({ buckets: 'abc\nabc' }).message).toContain('twice')
  })

  it('refuses access lines with unknown levels, buckets or hostile app names', () => {
    expect(refusal({ buckets: 'b-1', access: 'uro b-1 admin' }).message).toContain('access level "admin", which is not one of read, readwrite')
    expect(refusal({ buckets: 'b-1', access: 'uro b-2 read' }).message).toContain('names bucket "b-2", which is not in input "buckets"')
    expect(refusal({ buckets: 'b-1', access: 'uro b-1' }).message).toContain('three words')
    for (const bad of ['Uro', '$(id)', 'a;b', '-rf', '../x']) expect(refusal({ buckets: 'b-1', access: `${bad} b-1 read` }).input, bad).toBe('access')
    expect(refusal({ buckets: 'b-1', access: 'seaweedfs b-1 read' }).message).toContain('the store itself')
    expect(refusal({ buckets: 'b-1', access: 'uro b-1 read\nuro b-1 readwrite' }).message).toContain('two lines for app uro')
  })

  it('takes a host name as domain and refuses a path, a scheme or an address', () => {
    const config = read({ domain: 'S3.Example.com', endpoint: '' })
    expect(config.domain).toBe('s3.example.com')
    expect(config.endpoint).toBe('https://s3.example.com')
    expect(refusal({ domain: 'example.com/s3' }).message).toContain('a path prefix breaks every SigV4 signature')
    expect(refusal({ domain: 'https://s3.example.com' }).message).toContain('without a scheme')
    expect(refusal({ domain: '10.0.0.1' }).message).toContain('must be a fully qualified host name')
    expect(refusal({ domain: 's3' }).message).toContain('must be a fully qualified host name')
    expect(refusal({ domain: 's3.example.com:8443' }).message).toContain('without a port')
    expect(refusal({ domain: '*.example.com', tls: 'internal' }).message).toContain('is a wildcard')
  })

  it('routes the domain with Let\'s Encrypt by default, and needs an endpoint the runner trusts with tls: internal', () => {
    expect(read({ domain: 's3.example.com' }).tls).toBe('acme')
    expect(read({ domain: 's3.example.com', tls: 'internal' })).toMatchObject({ tls: 'internal', endpoint: 'http://127.0.0.1:9000' })
    const untrusted = refusal({ domain: 's3.example.com', tls: 'internal', endpoint: '' })
    expect(untrusted.input).toBe('endpoint')
    expect(untrusted.message).toContain("Caddy's own CA, which the runner does not trust")
    expect(refusal({ domain: 's3.example.com', tls: 'self-signed' }).message).toContain('tls')
    expect(refusal({ endpoint: 'https://example.com/s3' }).message).toContain('a path prefix breaks SigV4')
    expect(refusal({ endpoint: '' }).message).toContain('Input "endpoint" is required when "domain" is empty')
  })

  it('renames variables and checks rotate against the access lines', () => {
    const config = read({ buckets: 'b-1', access: 'uro b-1 read', 'env-names': 'AWS_S3_BUCKET=UPLOADS_BUCKET', rotate: 'uro' })
    expect(config.envNames.AWS_S3_BUCKET).toBe('UPLOADS_BUCKET')
    expect([...config.rotate]).toEqual(['uro'])
    expect([...read({ buckets: 'b-1', access: 'uro b-1 read\nweb b-1 read', rotate: 'all' }).rotate]).toEqual(['uro', 'web'])
    expect(refusal({ buckets: 'b-1', access: 'uro b-1 read', rotate: 'web' }).message).toContain('names an app that has no line in input "access"')
    expect(refusal({ 'env-names': 'DATABASE_URL=X' }).message).toContain('does not set')
    expect(refusal({ 'env-names': 'AWS_S3_BUCKET=AWS_REGION' }).message).toContain('the same name')
  })

  it('masks the admin password as soon as it is read', () => {
    expect(read({ 'admin-password': 'hunter2-long-password' }).adminPassword).toBe('hunter2-long-password')
  })
})

describe('the SeaweedFS recipe', () => {
  it('builds a wrapper whose command carries the reference flags and no secret', () => {
    const wrapper = seaweedWrapper('chrislusf/seaweedfs:4.44', { adminUi: false })
    const dockerfile = wrapper.files.find((f) => f.path === 'Dockerfile')?.content ?? ''
    expect(dockerfile).toContain('FROM chrislusf/seaweedfs:4.44\n')
    for (const flag of ['-dir=/data', '-ip.bind=0.0.0.0', '-webdav=false', '-s3.port.iceberg=0', '-s3.port.lance=0', '-master.telemetry=false', '-s3.iam.readOnly=false', '-admin.ui=false'])
      expect(dockerfile).toContain(`"${flag}"`)
    expect(seaweedWrapper('chrislusf/seaweedfs:4.44', { adminUi: true }).digest).not.toBe(wrapper.digest)
    expect(seaweedWrapper('chrislusf/seaweedfs:4.44', { adminUi: false }).digest).toBe(wrapper.digest)
  })

  it('turns an access level into the policy and the actions SeaweedFS stores for it', () => {
    expect(identityActions(['b-1'], 'read')).toEqual(['List:b-1', 'Read:b-1'])
    expect(identityActions(['b-1', 'b-2'], 'readwrite')).toEqual(['List:b-1', 'List:b-2', 'Read:b-1', 'Read:b-2', 'Write:b-1', 'Write:b-2'])
    expect(JSON.parse(identityPolicy(['b-1'], 'read'))).toEqual({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: ['s3:Get*', 's3:List*'], Resource: ['arn:aws:s3:::b-1', 'arn:aws:s3:::b-1/*'] }]
    })
  })

  it('knows the bucket rules and the image floor', () => {
    expect(bucketNameProblem('uro-uploads')).toBeUndefined()
    expect(bucketNameProblem('a.b-c')).toBeUndefined()
    expect(checkSeaweedImage('chrislusf/seaweedfs:4.43')).toMatchObject({ version: { major: 4, minor: 43 } })
    expect(checkSeaweedImage('ghcr.io/chrislusf/seaweedfs:5.0')).toMatchObject({ version: { major: 5, minor: 0 } })
  })
})
