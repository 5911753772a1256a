// The sandbox host answers on every part: real sshd with Dokku's forced command in front of the
// simulator, a root login that finds `dokku` on its PATH, PostgreSQL, the S3 server behind the
// recording proxy, and the per-app port reservations.
import { execFile } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { request } from 'node:http'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connectSandbox, startSandbox, type Sandbox } from '../../sandbox/harness/sandbox.ts'

const run = promisify(execFile)

let sandbox: Sandbox

beforeAll(async () => {
  const started = performance.now()
  sandbox = await startSandbox()
  console.log(`sandbox started in ${Math.round(performance.now() - started)} ms (${sandbox.root})`)
})

afterAll(async () => {
  await sandbox?.stop()
})

describe('ssh', () => {
  it('runs Dokku commands as the dokku user through the forced command', async () => {
    const version = await sandbox.ssh('dokku', 'version')
    expect(version).toMatchObject({ code: 0, stdout: 'dokku version 0.38.27\n' })

    const list = await sandbox.ssh('dokku', 'apps:list')
    expect(list.code).toBe(0)
    expect(list.stderr).toContain("You haven't deployed any applications yet")
  })

  it('gives the dokku key the authorized_keys line sshcommand writes', () => {
    const line = readFileSync(`${sandbox.root}/sshd/authorized_keys/dokku`, 'utf8').trim()
    expect(line).toBe(
      `command="FINGERPRINT=${sandbox.users.dokku.fingerprint} NAME=\\"admin\\" \`cat ${sandbox.root}/.sshcommand\` $SSH_ORIGINAL_COMMAND",` +
        `no-agent-forwarding,no-user-rc,no-X11-forwarding,no-port-forwarding ${sandbox.users.dokku.publicKey}`
    )
    expect(readFileSync(`${sandbox.root}/.sshcommand`, 'utf8').trim()).toBe(`${sandbox.root}/bin/dokku`)
  })

  it('re-parses the command string like the real dokku script (typing "dokku" is an error)', async () => {
    const doubled = await sandbox.ssh('dokku', 'dokku apps:list')
    expect(doubled.code).toBe(1)
    expect(doubled.stderr).toContain('`dokku apps:list` is not a dokku command')
  })

  it('lets root run `dokku …` from a normal shell', async () => {
    const result = await sandbox.ssh('root', 'dokku apps:list')
    expect(result.code).toBe(0)
    expect(result.stderr).toContain("You haven't deployed any applications yet")
    const which = await sandbox.ssh('root', 'command -v dokku')
    expect(which.stdout.trim()).toBe(`${sandbox.root}/bin/dokku`)
  })

  it('passes stdin and the exit status through', async () => {
    const echoed = await sandbox.ssh('root', 'cat; exit 7', { stdin: 'hello over ssh\n' })
    expect(echoed).toMatchObject({ code: 7, stdout: 'hello over ssh\n' })
  })

  it('pins the host key: the known_hosts line and the fingerprint agree', async () => {
    expect(sandbox.knownHostsLine).toMatch(new RegExp(`^\\[127\\.0\\.0\\.1\\]:${sandbox.port} ssh-ed25519 AAAA`))
    const { stdout } = await run('ssh-keygen', ['-l', '-E', 'sha256', '-f', sandbox.knownHostsPath])
    expect(stdout).toContain(sandbox.hostKeyFingerprint)
  })

  it('builds git settings for a real push', () => {
    expect(sandbox.remoteUrl('myapp')).toBe(`ssh://dokku@127.0.0.1:${sandbox.port}/myapp`)
    const env = sandbox.gitEnv()
    expect(env.GIT_SSH_COMMAND).toContain(`-i ${sandbox.users.dokku.privateKeyPath}`)
    expect(env.GIT_SSH_COMMAND).toContain(`UserKnownHostsFile=${sandbox.knownHostsPath}`)
    expect(env.GIT_SSH_COMMAND).toContain('IdentitiesOnly=yes')
  })

  it('reconnects from the serializable info', async () => {
    const again = connectSandbox(JSON.parse(JSON.stringify(sandbox.info)))
    expect(again.users.dokku.privateKey).toBe(sandbox.users.dokku.privateKey)
    expect((await again.ssh('dokku', 'version')).code).toBe(0)
    await again.stop() // a connected handle does not own the sandbox
    expect((await sandbox.ssh('dokku', 'version')).code).toBe(0)
  })
})

describe('postgres', () => {
  it('accepts the admin over TCP with the password and over the socket without one', async () => {
    const tcp = await run('psql', [sandbox.postgresAdminUrl, '-Atc', 'select current_user, current_setting($$fsync$$), (select rolsuper from pg_roles where rolname = current_user)'])
    expect(tcp.stdout.trim()).toBe('dokku|off|t')
    const socket = await run('psql', [sandbox.postgres.adminSocketUrl, '-Atc', 'select 1'])
    expect(socket.stdout.trim()).toBe('1')
    expect(JSON.parse(readFileSync(`${sandbox.root}/sandbox.json`, 'utf8')).postgres).toMatchObject({
      host: sandbox.postgres.socketDir,
      port: sandbox.postgres.port,
      adminUser: 'dokku'
    })
  })

  it('makes service roles use their password', async () => {
    const role = `svc_${randomBytes(4).toString('hex')}`
    const password = randomBytes(12).toString('hex')
    await run('psql', [sandbox.postgresAdminUrl, '-c', `create role ${role} login password '${password}'`])
    const ok = await run('psql', [`postgres://${role}:${password}@127.0.0.1:${sandbox.postgres.port}/postgres`, '-Atc', 'select current_user'])
    expect(ok.stdout.trim()).toBe(role)
    await expect(run('psql', [`postgres://${role}:wrong@127.0.0.1:${sandbox.postgres.port}/postgres`, '-Atc', 'select 1'])).rejects.toThrow(/password authentication failed/)
  })
})

describe('s3 through the recording proxy', () => {
  const bucket = `sbx-${randomBytes(4).toString('hex')}`

  it('stores and returns objects and records each request', async () => {
    sandbox.s3.clearRequests()
    expect((await fetch(`${sandbox.s3.endpoint}/${bucket}`, { method: 'PUT' })).status).toBe(200)
    const put = await fetch(`${sandbox.s3.endpoint}/${bucket}/dir/hello.txt`, { method: 'PUT', body: 'hello s3', headers: { 'content-type': 'text/plain' } })
    expect(put.status).toBe(200)
    const got = await fetch(`${sandbox.s3.endpoint}/${bucket}/dir/hello.txt`)
    expect(got.status).toBe(200)
    expect(await got.text()).toBe('hello s3')

    const recorded = sandbox.s3.requests()
    expect(recorded.map((r) => [r.operation, r.status, r.bucket, r.key])).toEqual([
      ['CreateBucket', 200, bucket, ''],
      ['PutObject', 200, bucket, 'dir/hello.txt'],
      ['GetObject', 200, bucket, 'dir/hello.txt']
    ])
    const putRecord = recorded[1]
    expect(putRecord).toMatchObject({ method: 'PUT', path: `/${bucket}/dir/hello.txt`, addressing: 'path' })
    expect(putRecord?.headers['content-type']).toBe('text/plain')
    expect(putRecord?.headers['content-length']).toBe('8')
    expect(Object.keys(putRecord?.headers ?? {}).filter((h) => h.startsWith('x-amz-checksum-'))).toEqual([])

    sandbox.s3.clearRequests()
    expect(sandbox.s3.requests()).toEqual([])
  })

  it('records query parameters and Content-MD5 of DeleteObjects', async () => {
    const body = `<Delete><Object><Key>dir/hello.txt</Key></Object><Quiet>true</Quiet></Delete>`
    const md5 = createHash('md5').update(body).digest('base64')
    sandbox.s3.clearRequests()
    const response = await fetch(`${sandbox.s3.endpoint}/${bucket}?delete`, { method: 'POST', body, headers: { 'content-md5': md5, 'content-type': 'application/xml' } })
    expect(response.status).toBe(200)
    const [record] = sandbox.s3.requests()
    expect(record).toMatchObject({ operation: 'DeleteObjects', query: { delete: '' }, status: 200 })
    expect(record?.headers['content-md5']).toBe(md5)
  })

  it('tells virtual-hosted requests apart', async () => {
    const port = Number(new URL(sandbox.s3.endpoint).port)
    sandbox.s3.clearRequests()
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/nothing-here', headers: { host: `${bucket}.localhost:${port}` } }, (res) => {
        res.resume()
        resolve(res.statusCode ?? 0)
      })
      req.on('error', reject)
      req.end()
    })
    expect(status).toBe(404)
    expect(sandbox.s3.requests()[0]).toMatchObject({ addressing: 'virtual-hosted', bucket, key: 'nothing-here', operation: 'GetObject', status: 404 })
  })

  it('streams a multipart upload and its download through', async () => {
    const parts = [randomBytes(5 * 1024 * 1024), randomBytes(5 * 1024 * 1024), randomBytes(1234)]
    const url = `${sandbox.s3.endpoint}/${bucket}/big.bin`
    sandbox.s3.clearRequests()
    const created = await (await fetch(`${url}?uploads`, { method: 'POST' })).text()
    const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(created)?.[1] ?? ''
    expect(uploadId).not.toBe('')
    const etags: string[] = []
    for (const [index, part] of parts.entries()) {
      const response = await fetch(`${url}?partNumber=${index + 1}&uploadId=${encodeURIComponent(uploadId)}`, { method: 'PUT', body: part })
      expect(response.status).toBe(200)
      etags.push(response.headers.get('etag') ?? '')
    }
    const complete = `<CompleteMultipartUpload>${etags.map((etag, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${etag.replaceAll('"', '&quot;')}</ETag></Part>`).join('')}</CompleteMultipartUpload>`
    expect((await fetch(`${url}?uploadId=${encodeURIComponent(uploadId)}`, { method: 'POST', body: complete })).status).toBe(200)

    // rclone as an independent client streams the object back
    const env = {
      ...process.env,
      RCLONE_CONFIG_SBX_TYPE: 's3',
      RCLONE_CONFIG_SBX_PROVIDER: 'Other',
      RCLONE_CONFIG_SBX_ENDPOINT: sandbox.s3.endpoint,
      RCLONE_CONFIG_SBX_REGION: sandbox.s3.region,
      RCLONE_CONFIG_SBX_ACCESS_KEY_ID: sandbox.s3.accessKeyId,
      RCLONE_CONFIG_SBX_SECRET_ACCESS_KEY: sandbox.s3.secretAccessKey,
      RCLONE_CONFIG_SBX_FORCE_PATH_STYLE: 'true',
      // rclone 1.60 cannot combine a custom CA bundle with its own transport; the endpoint is plain http
      AWS_CA_BUNDLE: undefined
    }
    const { stdout } = await run('rclone', ['cat', `sbx:${bucket}/big.bin`], { env, encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 })
    expect(createHash('sha256').update(stdout).digest('hex')).toBe(createHash('sha256').update(Buffer.concat(parts)).digest('hex'))

    const recorded = sandbox.s3.requests()
    expect(recorded.map((r) => r.operation)).toEqual(['CreateMultipartUpload', 'UploadPart', 'UploadPart', 'UploadPart', 'CompleteMultipartUpload', ...recorded.slice(5).map(() => expect.any(String))])
    expect(recorded.filter((r) => r.operation === 'UploadPart').map((r) => [r.query.partNumber, r.query.uploadId, r.headers['content-length']])).toEqual([
      ['1', uploadId, String(5 * 1024 * 1024)],
      ['2', uploadId, String(5 * 1024 * 1024)],
      ['3', uploadId, '1234']
    ])
    expect(recorded.at(-1)).toMatchObject({ operation: 'GetObject', status: 200, addressing: 'path' })
  })

  it('forwards Expect: 100-continue', async () => {
    const port = Number(new URL(sandbox.s3.endpoint).port)
    const body = Buffer.alloc(64 * 1024, 7)
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, method: 'PUT', path: `/${bucket}/continued.bin`, headers: { expect: '100-continue', 'content-length': body.length } })
      req.on('continue', () => req.end(body))
      req.on('response', (res) => {
        res.resume()
        resolve(res.statusCode ?? 0)
      })
      req.on('error', reject)
      setTimeout(() => reject(new Error('no 100 Continue within 10 s')), 10_000).unref()
    })
    expect(status).toBe(200)
    const head = await fetch(`${sandbox.s3.endpoint}/${bucket}/continued.bin`, { method: 'HEAD' })
    expect(head.headers.get('content-length')).toBe(String(body.length))
  })
})

describe('app ports and service URLs', () => {
  it('reserves one port per app and keeps it in state/ports', async () => {
    const port = await sandbox.reserveAppPort('web1')
    expect(await sandbox.reserveAppPort('web1')).toBe(port)
    expect(readFileSync(`${sandbox.root}/state/ports/web1`, 'utf8').trim()).toBe(String(port))
    expect(await sandbox.appUrl('web1')).toBe(`http://127.0.0.1:${port}`)
    expect(await sandbox.reserveAppPort('web2')).not.toBe(port)
    await expect(sandbox.reserveAppPort('../etc')).rejects.toThrow(/invalid app name/)
  })

  it('backs simulated postgres and redis services with real servers', async () => {
    const pg = await sandbox.ssh('dokku', 'postgres:create realdb')
    expect(pg.code).toBe(0)
    const pgUrl = await sandbox.realPostgresUrl('realdb')
    expect(pgUrl).toMatch(new RegExp(`^postgres(ql)?://[^:]+:[^@]+@127\\.0\\.0\\.1:${sandbox.postgres.port}/`))
    const { stdout } = await run('psql', [pgUrl, '-qAtc', 'create table t (x int); insert into t values (42); select x from t'])
    expect(stdout.trim()).toBe('42')

    const redis = await sandbox.ssh('dokku', 'redis:create realcache')
    expect(redis.code).toBe(0)
    const redisUrl = new URL(await sandbox.realRedisUrl('realcache'))
    expect(redisUrl.hostname).toBe('127.0.0.1')
    const ping = await run('redis-cli', ['-h', redisUrl.hostname, '-p', redisUrl.port, '--no-auth-warning', '-a', decodeURIComponent(redisUrl.password), 'ping'])
    expect(ping.stdout.trim()).toBe('PONG')
  })

  it('says which file is missing when a service has no real URL', async () => {
    await expect(sandbox.realPostgresUrl('nosuchdb')).rejects.toThrow(/services\/postgres\/nosuchdb\/REAL_URL is missing/)
    await expect(sandbox.realRedisUrl('nosuchcache')).rejects.toThrow(/services\/redis\/nosuchcache\/REAL_URL/)
  })
})
