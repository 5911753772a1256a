// storage, docker-options, checks, resource, ps, plugin (docs/dokku-contract.md#ps, #storage, #docker-options, #resource, #checks, #plugins).
import { describe, expect, it } from 'vitest'
import { useSandbox } from './helpers.ts'

const h = useSandbox({ plugins: ['postgres'] })

describe('[storage-legacy, storage-named, storage-report] storage', () => {
  it('ensure-directory (deprecated on 0.38.7+), legacy mount/unmount, list, report', async () => {
    const r = await h.dokku('storage:ensure-directory --chown false crdb-data')
    expect(r.stdout).toBe('-----> Ensuring /var/lib/dokku/data/storage/crdb-data exists\n       Directory ready for mounting\n')
    expect(r.stderr).toBe(" !     Deprecated: please use 'storage:create' instead of 'storage:ensure-directory'\n")
    expect((await h.dokku('storage:ensure-directory crdb-data')).stdout).toContain('       Setting directory ownership to 32767:32767\n')
    expect((await h.dokku('storage:ensure-directory bad.name')).stderr).toContain('Directory can only contain the following set of characters: [A-Za-z0-9_-]')
    await h.dokku('apps:create st')
    expect(await h.dokku('storage:mount st /var/lib/dokku/data/storage/crdb-data:/data')).toMatchObject({ code: 0, stdout: '', stderr: '' })
    expect(await h.dokku('storage:mount st /var/lib/dokku/data/storage/crdb-data:/data')).toMatchObject({ code: 1, stderr: ' !     Mount path already exists.\n' })
    expect((await h.dokku('storage:list st')).stdout).toBe('-----> st volume bind-mounts:\n       /var/lib/dokku/data/storage/crdb-data:/data\n')
    expect((await h.dokku('--quiet storage:list st')).stdout).toBe('/var/lib/dokku/data/storage/crdb-data:/data\n')
    expect((await h.dokku('storage:report st --storage-deploy-mounts')).stdout).toBe('-v /var/lib/dokku/data/storage/crdb-data:/data\n')
    expect((await h.dokku('storage:unmount st /nope:/x')).stderr).toBe(' !     Mount path does not exist.\n')
    expect((await h.dokku('storage:unmount st /var/lib/dokku/data/storage/crdb-data:/data')).code).toBe(0)
  })

  it('0.38 named entries: create is idempotent, mount upserts', async () => {
    expect((await h.dokku('storage:create crdb-certs --chown root')).stdout).toBe('-----> Storage entry crdb-certs created\n')
    expect((await h.dokku('storage:create crdb-certs')).stdout).toBe('-----> Storage entry crdb-certs already exists, leaving in place\n')
    expect((await h.dokku('storage:mount st crdb-certs --container-dir /certs')).stdout).toBe('-----> Storage entry crdb-certs mounted at /certs on st\n')
    expect((await h.dokku('storage:mount st crdb-certs --container-dir /certs')).stdout).toBe('-----> Storage entry crdb-certs mount at /certs on st updated\n')
    expect((await h.dokku('storage:mount st nope --container-dir /x')).stderr).toBe(' !     storage entry "nope" does not exist; create it first with `dokku storage:create`\n')
  })
})

describe('[docker-options-add, docker-options-remove, docker-options-report] docker-options', () => {
  it('add keeps duplicates on 0.38, splits at flag boundaries; remove exits 0 when nothing matched', async () => {
    await h.dokku('apps:create dopt')
    expect(await h.dokku('docker-options:add dopt deploy "-p 127.0.0.1:26257:26257"')).toMatchObject({ code: 0, stdout: '', stderr: '' })
    await h.dokku('docker-options:add dopt deploy "-p 127.0.0.1:26257:26257"')
    expect((await h.dokku('docker-options:report dopt --docker-options-deploy')).stdout).toBe('-p 127.0.0.1:26257:26257 -p 127.0.0.1:26257:26257\n')
    await h.dokku('docker-options:add dopt run "--label a=b --label c=d"')
    expect((await h.dokku('docker-options:report dopt --docker-options-run')).stdout).toBe('--label a=b --label c=d\n')
    expect((await h.dokku('docker-options:remove dopt deploy "--nothing"')).code).toBe(0)
    expect((await h.dokku('docker-options:add dopt nophase x')).stderr).toBe(' !     Phase(s) must be one of [build deploy run]\n')
    expect((await h.dokku('docker-options:clear dopt')).stdout).toBe('-----> Clearing docker-options for dopt on all phases\n')
  })

  it('JSON report adds the <phase>-list arrays; --process scopes deploy options to one process type (0.38)', async () => {
    await h.dokku('apps:create dproc')
    await h.dokku(`docker-options:add dproc deploy,run "--label 'a b=c' -v /srv:/srv"`)
    expect((await h.dokku('docker-options:add --process worker dproc deploy "--shm-size 256m"')).code).toBe(0)
    expect((await h.dokku('docker-options:add --process worker dproc run "--init"')).stderr).toBe(' !     --process is only supported for the deploy phase, got "run"\n')
    // The default scope is not touched by a process-scoped option.
    expect((await h.dokku('docker-options:report dproc --docker-options-deploy')).stdout).toBe("--label 'a b=c' -v /srv:/srv\n")
    expect((await h.dokku('docker-options:report dproc --docker-options-deploy.worker')).stdout).toBe('--shm-size 256m\n')
    const json = JSON.parse((await h.dokku('docker-options:report dproc --format json')).stdout) as Record<string, unknown>
    expect(json).toMatchObject({
      build: '',
      deploy: "--label 'a b=c' -v /srv:/srv",
      'docker-options-deploy': "--label 'a b=c' -v /srv:/srv",
      'build-list': [],
      'deploy-list': ["--label 'a b=c'", '-v /srv:/srv'],
      'run-list': ["--label 'a b=c'", '-v /srv:/srv'],
      'deploy.worker': '--shm-size 256m',
      'deploy.worker-list': ['--shm-size 256m']
    })
    await h.dokku('docker-options:remove --process worker dproc deploy "--shm-size 256m"')
    const after = JSON.parse((await h.dokku('docker-options:report dproc --format json')).stdout) as Record<string, unknown>
    expect(after).not.toHaveProperty('deploy.worker')
    expect(after['deploy-list']).toEqual(["--label 'a b=c'", '-v /srv:/srv'])
  })
})

describe('[checks, resource, ps-restart, ps-rebuild, ps-set, ps-report, ps-scale] checks, resource, ps', () => {
  it('checks:set only knows wait-to-retire; disable/skip; report', async () => {
    await h.dokku('apps:create ck')
    expect((await h.dokku('checks:set ck wait-to-retire 30')).stdout).toBe('=====> Setting wait-to-retire to 30\n')
    expect((await h.dokku('checks:set ck attempts 5')).stderr).toBe(' !     Invalid key specified, valid keys include: wait-to-retire\n')
    expect((await h.dokku('checks:disable ck')).stdout).toBe('-----> Disabling zero downtime for app (ck)\n')
    expect((await h.dokku('checks:report ck --checks-disabled-list')).stdout).toBe('_all_\n')
    expect((await h.dokku('checks:skip ck worker,web')).stdout).toBe("-----> Skipping zero downtime for app's (ck) proctypes (worker,web)\n")
    expect((await h.dokku('checks:report ck --checks-computed-wait-to-retire')).stdout).toBe('30\n')
  })

  it('resource:limit prints the set keys; report keys are lower case and only set ones exist', async () => {
    expect((await h.dokku('resource:limit --memory 512m ck')).stdout).toBe('=====> Setting resource limits for ck\n       memory: 512m\n')
    expect((await h.dokku('resource:report ck --resource-_default_.limit.memory')).stdout).toBe('512m\n')
    expect((await h.dokku('resource:report ck')).stdout).toBe('=====> ck resource information\n       resource _default_ limit memory: 512m\n')
    expect((await h.dokku('resource:report ck --resource-_default_.limit.cpu')).code).toBe(1)
  })

  it('ps on an undeployed app: restart/stop/start warn and exit 0; rebuild without commits fails', async () => {
    expect(await h.dokku('ps:stop ck')).toMatchObject({ code: 0, stderr: ' !     App ck has not been deployed\n' })
    expect(await h.dokku('ps:start ck')).toMatchObject({ code: 0, stderr: ' !     App ck has not been deployed\n' })
    const restart = await h.dokku('ps:restart ck')
    expect(restart.code).toBe(0)
    expect(restart.stdout).toBe(' !     App ck has not been deployed\n')
    const rebuild = await h.dokku('ps:rebuild ck')
    expect(rebuild.code).toBe(1)
    expect(rebuild.stdout).toContain("-----> WARNING: Cannot build from 'master' as there are no commits stored at that branch.")
    expect((await h.dokku('ps:set ck restart-policy sometimes')).stderr).toBe(' !     Invalid restart-policy specified\n')
    expect((await h.dokku('ps:set ck restart-policy unless-stopped')).stdout).toBe('=====> Setting restart-policy to unless-stopped\n')
    expect((await h.dokku('ps:report ck --ps-computed-stop-timeout-seconds')).stdout).toBe('30\n')
    expect((await h.dokku('ps:scale ck')).stdout).toBe('-----> Scaling for ck\nproctype: qty\n--------: ---\n')
  })
})

describe('[plugins, root-and-sudo, version] plugins', () => {
  it('plugin:list works for dokku; installed/install are root only', async () => {
    expect((await h.dokku('plugin:list')).stdout).toContain('  postgres             1.48.0 enabled    dokku postgres service plugin\n')
    expect(await h.dokku('plugin:installed postgres')).toMatchObject({ code: 1, stderr: ' !     This command must be run as root\n' })
    expect((await h.root('dokku plugin:installed postgres')).code).toBe(0)
    expect((await h.root('dokku plugin:installed redis')).code).toBe(1)
    expect((await h.dokku('redis:list')).stderr).toBe(' !     `redis:list` is not a dokku command.\n !     See `dokku help` for a list of available commands.\n')
    const again = await h.root('dokku plugin:install https://github.com/dokku/dokku-postgres.git')
    expect(again.code).toBe(1)
    expect(again.stderr).toContain(' !     Plugin already enabled')
    const install = await h.root('dokku plugin:install https://github.com/dokku/dokku-redis.git')
    expect(install.code).toBe(0)
    expect(install.stdout).toContain('-----> Plugin redis enabled')
    expect((await h.dokku('redis:list')).stderr).toBe(' !     There are no Redis services\n')
  })

  it('version', async () => {
    expect((await h.dokku('version')).stdout).toBe('dokku version 0.38.27\n')
  })
})
