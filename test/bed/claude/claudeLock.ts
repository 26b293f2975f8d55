// How Claude Code 2.1.197 locks its OAuth refresh, read from the binary's .bun section
// (objcopy -O binary --only-section=.bun bin/claude.exe bun.section; grep -ao … bun.section).
// Minified names are as they appear in that build and mean nothing elsewhere.
//
// Options, for the new lock and the legacy one alike:
//   function U6r(e){return{lockfilePath:W6r.join(e,".oauth_refresh.lock"),realpath:!1,stale:1e4,
//     onCompromised:(t)=>T(`OAuth refresh lock compromised: ${t.message}`,{level:"error"})}}
// Taking them (e is the config dir, CLAUDE_CONFIG_DIR or ~/.claude, NFC-normalised, not realpath'd;
// CLAUDE_SECURESTORAGE_CONFIG_DIR overrides it for credentials and these locks):
//   async function szr(e){let t=await Ay(e,U6r(e)),r=`${await ANt.realpath(e).catch(()=>e)}.lock`,o=null;
//     try{o=await Ay(r,{...U6r(e),lockfilePath:r})}catch(s){if(s.code==="ELOCKED")throw …,
//     await t().catch(…),s;if(Ko(s))T(`OAuth refresh legacy-lock acquire failed: ${s}`);else Re(s)}
//     return async()=>{if(o)await o().catch(…);await t()}}
//   async function Ay(e,t){let n=await h3r().lock(e,t);…}   // h3r() is bundled proper-lockfile 4.1.2
//
// So:
// - `<configDir>/.oauth_refresh.lock` is the lock DIRECTORY itself (lockfilePath), taken by
//   lock(configDir, {lockfilePath}); there is no `.oauth_refresh.lock.lock`.
// - Then the legacy lock: the DIRECTORY `<realpath(configDir)>.lock` (lock(r, {lockfilePath: r})),
//   which is where older builds' lock(configDir) put it. Busy -> the new lock is released and ELOCKED
//   thrown; any other failure is logged and the refresh goes on holding only the new lock.
// - Released in reverse: legacy first, then the new one.
// - Options: stale 10000 ms, realpath false, no `update` (proper-lockfile's default, stale/2 = 5000 ms
//   between mtime touches), no `retries` (0: a busy lock fails at once with ELOCKED).
// - The waiting is Claude's own loop around that, in the refresh F6r(e, force, token):
//     if(d.code==="ELOCKED"){if(e<5)return …,await Mn(1000+Math.random()*1000),F6r(e+1,t,s);
//     return q("tengu_oauth_token_refresh_lock_retry_limit_reached",{maxRetries:5}),…,"lock_timeout"}
//   i.e. 6 attempts with 5 sleeps of 1-2 s (5-10 s in all), then it gives up the refresh and sends
//   the token it has. Each retry re-stats .credentials.json and re-reads it if the mtime moved; if
//   the access token differs from the one it started with it counts as refreshed by someone else
//   ("tengu_oauth_token_refresh_race_resolved") and uses the new one.
//   The scope-expansion path wNt uses RMd=5 attempts (4 sleeps of 1-2 s), then throws
//   "Lock acquisition failed after 5 attempts: another process is refreshing".
// - Inside the refresh lock, the credential write itself (storage mutate) takes a third lock:
//     Ay(tci.join(r,".storage-write"),{realpath:!1,retries:{retries:10,minTimeout:100,maxTimeout:1000},
//       stale:15000,onCompromised:…})
//   i.e. the DIRECTORY `<configDir>/.storage-write.lock` (default lockfilePath), stale 15 s, 10 retries.
//   The invalid_grant wipe goes through the same mutate. Held here only when asked (`storageWrite`).
// - Design logins use a separate `<configDir>/.design_oauth_refresh.lock` (same options); not taken here.
import { mkdir, realpath } from 'node:fs/promises'
import { join } from 'node:path'
import lockfile from 'proper-lockfile'

export const REFRESH_LOCK_STALE_MS = 10_000
export const STORAGE_WRITE_STALE_MS = 15_000

export interface ClaudeLockPaths {
  refresh: string
  legacy: string
  storageWrite: string
}

export async function claudeLockPaths(configDir: string): Promise<ClaudeLockPaths> {
  const real = await realpath(configDir).catch(() => configDir)
  return {
    refresh: join(configDir, '.oauth_refresh.lock'),
    legacy: `${real}.lock`,
    storageWrite: join(configDir, '.storage-write.lock'),
  }
}

export interface HeldClaudeLock {
  paths: ClaudeLockPaths
  release(): Promise<void>
}

/**
 * Takes Claude Code's refresh locks the way it does (same paths, order and options), and with
 * `storageWrite` also the lock around its credential writes. Fails at once with ELOCKED when one is
 * busy, as Claude's own attempt does. Unlike Claude, a legacy lock that cannot be taken for any other
 * reason is an error: a test holding the lock must know it holds both.
 */
export async function holdClaudeLock(
  configDir: string,
  opts: { storageWrite?: boolean } = {},
): Promise<HeldClaudeLock> {
  await mkdir(configDir, { recursive: true })
  const paths = await claudeLockPaths(configDir)
  let compromised: Error | undefined
  const base = {
    realpath: false,
    stale: REFRESH_LOCK_STALE_MS,
    // proper-lockfile's default throws from a timer; a test should fail at release instead.
    onCompromised: (err: Error) => {
      compromised = err
    },
  }
  const held: Array<() => Promise<void>> = []
  const releaseAll = async () => {
    for (const release of held.splice(0).reverse()) await release()
  }
  try {
    held.push(await lockfile.lock(configDir, { ...base, lockfilePath: paths.refresh }))
    held.push(await lockfile.lock(paths.legacy, { ...base, lockfilePath: paths.legacy }))
    if (opts.storageWrite) {
      held.push(
        await lockfile.lock(join(configDir, '.storage-write'), { ...base, stale: STORAGE_WRITE_STALE_MS }),
      )
    }
  } catch (err) {
    await releaseAll().catch(() => {})
    throw err
  }
  return {
    paths,
    async release() {
      await releaseAll()
      if (compromised) throw new Error(`Claude lock was compromised while held: ${compromised.message}`)
    },
  }
}
