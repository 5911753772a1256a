import { describe, expect, it } from 'vitest'
import { dokkuRemoteUrl, interpretPush } from '../../../src/core/git/push.js'

// Lines as git prints them: Dokku's hook output arrives as `remote:` lines, some with the
// `\e[1G\e[K` erase codes the real git-hook prints before its messages.
const ERASE = '\u001b[1G\u001b[K'

describe('interpretPush', () => {
  it.each([
    ['deployed', 0, ['remote: -----> Releasing web...', 'remote: =====> Application deployed:', 'remote:        http://web.example.com']],
    ['pushed', 0, ['To ssh://127.0.0.1:2222/web', ' * [new branch]      abc -> main']],
    ['up-to-date', 0, ['Everything up-to-date']],
    // dokku/github-action#49: exit 0 although nothing was deployed
    ['not-deploy-branch', 0, [`remote: ${ERASE}-----> WARNING: deploy did not complete, you must push to master.`]],
    ['locked', 1, ['remote:  !     web currently has a deploy lock in place. Exiting...', "remote:  !     Run 'apps:unlock' to release the existing deploy lock", ' ! [remote rejected] main -> main (pre-receive hook declined)']],
    ['build-failed', 1, ['remote:  !     App build failed', ' ! [remote rejected] main -> main (pre-receive hook declined)']],
    ['shallow-refused', 1, [' ! [remote rejected] main -> main (shallow update not allowed)']],
    ['rejected', 1, [' ! [rejected]        main -> main (non-fast-forward)']],
    ['failed', 128, ['fatal: Could not read from remote repository.']]
  ] as const)('reads %s', (outcome, code, lines) => {
    expect(interpretPush(code, lines)).toBe(outcome)
  })
})

describe('dokkuRemoteUrl', () => {
  it('builds ssh:// URLs with the port, bracketing IPv6 literals', () => {
    expect(dokkuRemoteUrl({ host: 'dokku.example.com', port: 22, user: 'dokku' }, 'web')).toBe('ssh://dokku@dokku.example.com:22/web')
    expect(dokkuRemoteUrl({ host: '::1', port: 2222, user: 'dokku' }, 'web')).toBe('ssh://dokku@[::1]:2222/web')
  })
})
