// A private D-Bus session with an unlocked GNOME keyring, so the real Secret Service backs
// @napi-rs/keyring in tests, without touching any keyring of the machine's user.
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { mkdir } from 'node:fs/promises'

export interface KeyringSession {
  /** Add to the environment of every process that should see this keyring. */
  env: { DBUS_SESSION_BUS_ADDRESS: string }
  stop(): Promise<void>
}

function startBus(env: Record<string, string>): Promise<{ address: string; pid: number }> {
  return new Promise((resolve, reject) => {
    execFile(
      'dbus-daemon',
      ['--session', '--fork', '--print-address=1', '--print-pid=1'],
      { env, timeout: 5_000 },
      (err, stdout) => {
        if (err) return reject(new Error(`dbus-daemon did not start (apt-get install dbus): ${err.message}`))
        const [address, pid] = stdout.trim().split('\n')
        resolve({ address: address as string, pid: Number(pid) })
      },
    )
  })
}

/** `home` becomes the keyring's HOME: gnome-keyring writes its files there, never in the real one. */
export async function startKeyringSession(home: string): Promise<KeyringSession> {
  await mkdir(home, { recursive: true })
  const base = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home }
  const bus = await startBus(base)
  const env = { DBUS_SESSION_BUS_ADDRESS: bus.address }
  const daemon: ChildProcess = spawn(
    'gnome-keyring-daemon',
    ['--foreground', '--unlock', '--components=secrets'],
    {
      env: { ...base, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  )
  const stopAll = async () => {
    daemon.kill('SIGTERM')
    try {
      process.kill(bus.pid, 'SIGTERM')
    } catch {}
  }
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error('gnome-keyring-daemon did not come up within 5 s')),
        5_000,
      )
      daemon.once('error', (e) =>
        reject(new Error(`gnome-keyring-daemon: ${e.message} (apt-get install gnome-keyring)`)),
      )
      // It prints its control variables once it serves the session.
      daemon.stdout?.once('data', () => {
        clearTimeout(timer)
        resolve()
      })
      daemon.stdin?.end('test-keyring-password')
    })
  } catch (err) {
    await stopAll()
    throw err
  }
  return { env, stop: stopAll }
}
