// What every dokku-deploy integration test needs against the shared sandbox: the action's inputs
// for an app, what the app's container answers, and Dokku commands over the real sshd.
import { sharedSandbox } from '../../sandbox/global-setup.ts'

export const sandbox = sharedSandbox()

/** The inputs that reach the sandbox as the dokku user, for `app`, with `extra` on top. */
export function deployInputs(app: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    host: sandbox.host,
    'ssh-port': String(sandbox.port),
    'ssh-private-key': sandbox.users.dokku.privateKey,
    'ssh-host-key': sandbox.knownHostsLine,
    app,
    ...extra
  }
}

/** What the app's container answers: the deployed commit or image is in a response header. */
export async function answering(app: string): Promise<{ status: number; deployed: string | null }> {
  const response = await fetch(`${await sandbox.appUrl(app)}/`)
  await response.body?.cancel()
  return { status: response.status, deployed: response.headers.get('x-sandbox-deployed') }
}

export const dokku = (command: string) => sandbox.ssh('dokku', command)
