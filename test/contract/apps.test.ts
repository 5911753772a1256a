// apps:* against the simulator over real SSH (docs/dokku-contract.md#apps, #deploy-lock, #apps-clone, #apps-rename).
import { describe, expect, it } from 'vitest'
import { useSandbox } from './helpers.ts'

const h = useSandbox({ plugins: ['postgres'] })

describe('[apps-list, apps-create, app-names, apps-exists, global-flags, forced-command, apps-report, deploy-lock, apps-destroy, apps-clone, apps-rename] apps', () => {
  it('apps:list with no apps warns on stderr and exits 0; json is []', async () => {
    const r = await h.dokku('apps:list')
    expect(r.code).toBe(0)
    expect(r.stdout).toBe('')
    expect(r.stderr).toBe(" !     You haven't deployed any applications yet\n")
    expect((await h.dokku('apps:list --format json')).stdout).toBe('[]\n')
  })

  it('apps:create prints the creation lines and is not idempotent', async () => {
    const r = await h.dokku('apps:create web')
    expect(r).toMatchObject({ code: 0, stdout: '-----> Creating web...\n-----> Creating new app virtual host file...\n', stderr: '' })
    const again = await h.dokku('apps:create web')
    expect(again).toMatchObject({ code: 1, stdout: '', stderr: ' !     Name is already taken\n' })
    expect((await h.dokku('--quiet apps:create quiet-app')).stdout).toBe('')
  })

  it('rejects invalid and empty names with exit 1', async () => {
    const r = await h.dokku('apps:create Bad_Name')
    expect(r.code).toBe(1)
    expect(r.stderr).toBe(' !     App name must begin with lowercase alphanumeric character, and may only contain lowercase alphanumerics, dots, and hyphens\n')
    expect((await h.dokku('config:show')).stderr).toBe(' !     Please specify an app to run the command on\n')
  })

  it('apps:exists is silent and a missing app exits 20', async () => {
    expect(await h.dokku('apps:exists web')).toMatchObject({ code: 0, stdout: '', stderr: '' })
    expect(await h.dokku('apps:exists nope')).toMatchObject({ code: 20, stdout: '', stderr: ' !     App nope does not exist\n' })
    expect((await h.dokku('config:show nope')).code).toBe(20)
  })

  it('apps:list is sorted; --quiet prints only names; --app inserts the app for core plugins', async () => {
    await h.dokku('--app alpha apps:create')
    const r = await h.dokku('apps:list')
    expect(r.stdout).toBe('=====> My Apps\nalpha\nquiet-app\nweb\n')
    expect((await h.dokku('--quiet apps:list')).stdout).toBe('alpha\nquiet-app\nweb\n')
    expect((await h.dokku('apps:list --format json')).stdout).toBe('["alpha","quiet-app","web"]\n')
  })

  it('typing dokku after ssh dokku@host is not a dokku command', async () => {
    const r = await h.dokku('dokku apps:list')
    expect(r).toMatchObject({ code: 1, stdout: '' })
    expect(r.stderr).toBe(' !     `dokku apps:list` is not a dokku command.\n !     See `dokku help` for a list of available commands.\n')
  })

  it('apps:report layout, single flag, JSON with legacy keys, invalid flag', async () => {
    const r = await h.dokku('apps:report web')
    const lines = r.stdout.split('\n')
    expect(lines[0]).toBe('=====> web app information')
    expect(lines[1]).toMatch(/^ {7}App created at: {18}\d+$/)
    expect(lines[2]).toBe('       App deploy source:               ')
    expect(lines[6]).toBe('       App locked:                      false')
    expect((await h.dokku('apps:report web --app-locked')).stdout).toBe('false\n')
    const json = JSON.parse((await h.dokku('apps:report web --format json')).stdout) as Record<string, string>
    expect(json.locked).toBe('false')
    expect(json['app-locked']).toBe('false')
    expect(Object.keys(json)).toEqual([...Object.keys(json)].sort())
    const bad = await h.dokku('apps:report web --nope')
    expect(bad.code).toBe(1)
    expect(bad.stderr).toBe(' !     Invalid flag passed, valid flags: --app-created-at, --app-deploy-source, --app-deploy-source-metadata, --app-dir, --app-global-disable-autocreation, --app-locked\n')
    expect((await h.dokku('apps:report web --app-locked --app-dir')).stderr).toBe(' !     apps:report command allows only a single flag\n')
    expect((await h.dokku('apps:report --global')).stdout).toMatch(/^=====> --global app information\n {7}App global disable autocreation: \n$/)
  })

  it('lock commands: lock is idempotent, locked/unlock exit codes and messages', async () => {
    expect(await h.dokku('apps:locked web')).toMatchObject({ code: 1, stderr: ' !     Deploy lock does not exist\n' })
    expect(await h.dokku('apps:unlock web')).toMatchObject({ code: 1, stderr: ' !     Unable to remove deploy lock\n' })
    expect(await h.dokku('apps:lock web')).toMatchObject({ code: 0, stdout: '-----> Deploy lock created\n' })
    expect((await h.dokku('apps:lock web')).code).toBe(0)
    expect(await h.dokku('apps:locked web')).toMatchObject({ code: 0, stdout: 'Deploy lock exists\n' })
    expect((await h.dokku('--quiet apps:locked web')).stdout).toBe('')
    expect((await h.dokku('apps:report web --app-locked')).stdout).toBe('true\n')
    const unlock = await h.dokku('apps:unlock web')
    expect(unlock).toMatchObject({
      code: 0,
      stdout: '-----> Deploy lock removed\n',
      stderr: ' !     A deploy may be in progress.\n !     Removing the app lock will not stop in progress deploys.\n'
    })
  })

  it('apps:destroy without --force reads EOF and fails; with --force destroys; postgres pre-delete prints for every service', async () => {
    await h.dokku('apps:create doomed')
    await h.dokku('postgres:create unrelated')
    const noForce = await h.dokku('apps:destroy doomed')
    expect(noForce.code).toBe(1)
    expect(noForce.stderr).toBe(' !     WARNING: Potentially Destructive Action\n !     This command will destroy app doomed.\n !     To proceed, type "doomed"\n !     EOF\n')
    expect(noForce.stdout).toBe('> ')
    const r = await h.dokku('apps:destroy --force doomed')
    expect(r.code).toBe(0)
    expect(r.stdout).toBe('-----> Destroying doomed (including all add-ons)\n       Unlinking from unrelated\n-----> Cleaning up...\n-----> Retiring old containers and images\n')
    expect((await h.dokku('apps:exists doomed')).code).toBe(20)
    expect((await h.dokku('--force apps:destroy doomed')).code).toBe(20)
  })

  it('apps:clone copies config but resets domains; --ignore-existing warns and exits 0', async () => {
    await h.dokku('config:set --no-restart web KEEP=me')
    await h.dokku('domains:add web custom.example.com')
    const r = await h.dokku('apps:clone web web-pr-1')
    expect(r.code).toBe(0)
    expect(r.stdout).toBe('-----> Cloning web to web-pr-1\n-----> Creating web-pr-1...\n-----> Creating new app virtual host file...\n')
    expect((await h.dokku('config:get web-pr-1 KEEP')).stdout).toBe('me\n')
    expect((await h.dokku('domains:report web-pr-1 --domains-app-vhosts')).stdout).toBe('web-pr-1.sandbox.test\n')
    expect(await h.dokku('apps:clone web web-pr-1')).toMatchObject({ code: 1, stderr: ' !     Name is already taken\n' })
    expect(await h.dokku('apps:clone --ignore-existing web web-pr-1')).toMatchObject({ code: 0, stderr: ' !     Name is already taken\n' })
    expect(await h.dokku('apps:clone nope other')).toMatchObject({ code: 20, stderr: ' !     App nope does not exist\n' })
    expect((await h.dokku('apps:clone web')).stderr).toBe(' !     Please specify an new app name\n')
  })

  it('apps:rename rewrites global-derived domains, keeps custom ones, destroys the old app', async () => {
    await h.dokku('apps:create old-name')
    await h.dokku('domains:add old-name keep.example.com')
    const r = await h.dokku('apps:rename old-name new-name')
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('-----> Renaming old-name to new-name\n-----> Creating new-name...\n')
    expect(r.stdout).toContain('-----> Destroying old-name (including all add-ons)\n')
    expect((await h.dokku('domains:report new-name --domains-app-vhosts')).stdout).toBe('new-name.sandbox.test keep.example.com\n')
    expect((await h.dokku('apps:exists old-name')).code).toBe(20)
  })
})
