// The same person as httpApprover, in real Debian Chromium, so the pages' own scripts,
// cookies and redirects behave as they would for a user on a desktop.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type BrowserContext, chromium, type Page, type Request } from 'playwright-core'

export interface ChromiumApprover {
  approve(
    url: string,
    opts?: { login?: string; stopAtRedirect?: boolean },
  ): Promise<{ finalUrl: string; redirectedTo?: string }>
  screenshot(path: string): Promise<void>
  close(): Promise<void>
}

const CHROMIUM = '/usr/bin/chromium'
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]
const WAIT_MS = 20_000
const MAX_PAGES = 15
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]'])

type PageKind = 'success' | 'login' | 'confirm' | 'consent' | 'codeInput' | 'error' | 'other'

function isLoopback(url: URL): boolean {
  return LOOPBACK.has(url.hostname)
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

// One evaluate reads the whole page, so the answer is about one document. It is a string
// because the project's lib has no DOM types. A navigation in between destroys the context;
// the caller retries that rather than taking it as an answer.
const READ_PAGE = `(() => {
  const q = (s) => document.querySelector(s) !== null
  const text = (document.body ? document.body.innerText : '').replace(/\\s+/g, ' ').trim().slice(0, 300)
  const title = document.title
  let kind = 'other'
  if (title === 'Sign-in Success') kind = 'success'
  else if (title.startsWith('oops!')) kind = 'error'
  else if (q('input[name="login"]')) kind = 'login'
  else if (q('form[id="op.deviceConfirmForm"]')) kind = 'confirm'
  else if (q('input[name="prompt"][value="consent"]')) kind = 'consent'
  else if (q('form[id="op.deviceInputForm"]')) kind = 'codeInput'
  return { kind, text }
})()`

async function kindOf(page: Page): Promise<{ kind: PageKind; text: string } | undefined> {
  try {
    return await page.evaluate<{ kind: PageKind; text: string }>(READ_PAGE)
  } catch {
    return undefined
  }
}

async function waitUntil(cond: () => boolean, deadline: number, what: string, page: Page): Promise<void> {
  while (!cond()) {
    if (Date.now() > deadline) {
      throw new Error(
        `chromiumApprover: gave up waiting for ${what} after ${WAIT_MS / 1000} s (at ${page.url()})`,
      )
    }
    await sleep(50)
  }
}

async function approveIn(
  page: Page,
  url: string,
  opts: { login?: string; stopAtRedirect?: boolean },
): Promise<{ finalUrl: string; redirectedTo?: string }> {
  const start = new URL(url)
  const login = opts.login ?? 'alice'
  const deadline = Date.now() + WAIT_MS
  // Every Playwright wait gets only what is left of the one deadline for this approval.
  const left = () => ({ timeout: Math.max(1, deadline - Date.now()) })

  // Route handlers never see redirect hops, but the request event does, and the hop to the
  // client's loopback redirect_uri is the moment the code leaves the server.
  let callback: Request | undefined
  let navigations = 0
  page.on('request', (r) => {
    if (callback || !r.isNavigationRequest() || r.frame() !== page.mainFrame()) return
    const target = new URL(r.url())
    if (target.protocol === 'http:' && isLoopback(target) && target.origin !== start.origin) callback = r
  })
  page.on('framenavigated', (f) => {
    if (f === page.mainFrame()) navigations += 1
  })

  const moveOn = async (action: () => Promise<void>) => {
    const before = navigations
    try {
      await action()
    } catch (err) {
      throw new Error(`chromiumApprover: at ${page.url()}: ${(err as Error).message.split('\n')[0]}`, {
        cause: err,
      })
    }
    await waitUntil(() => navigations > before || callback !== undefined, deadline, 'the next page', page)
  }

  await moveOn(async () => {
    // A navigation that ends at a dead callback port rejects goto; the loop below decides.
    await page.goto(url, { waitUntil: 'commit', ...left() }).catch((err: Error) => {
      if (!callback) throw err
    })
  })

  // Bounded by the deadline; `acted` also caps a server that keeps showing new forms.
  for (let acted = 0; !callback; ) {
    if (acted > MAX_PAGES)
      throw new Error(`chromiumApprover: no end after ${MAX_PAGES} pages starting at ${url}`)
    await page.waitForLoadState('domcontentloaded', left()).catch(() => {})
    const seen = await kindOf(page)
    if (process.env.AUTHKEEP_BED_DEBUG) console.error('chromiumApprover:', page.url(), seen?.kind)
    if (callback) break
    if (!seen) {
      if (Date.now() > deadline) throw new Error(`chromiumApprover: could not read the page at ${page.url()}`)
      await sleep(50)
      continue
    }
    switch (seen.kind) {
      case 'success':
        return { finalUrl: page.url() }
      case 'error':
        throw new Error(`chromiumApprover: the server showed an error page: ${seen.text}`)
      case 'codeInput':
        throw new Error(`chromiumApprover: the page asks for a user code; pass verification_uri_complete`)
      case 'login':
        await moveOn(async () => {
          await page.fill('input[name="login"]', login, left())
          await page.fill('input[name="password"]', 'any-password', left())
          await page.click('button[type="submit"]', left())
        })
        acted += 1
        break
      case 'confirm':
        await moveOn(() => page.click('button[form="op.deviceConfirmForm"]:not([name="abort"])', left()))
        acted += 1
        break
      case 'consent':
        await moveOn(() =>
          page.click('form:has(input[name="prompt"][value="consent"]) button[type="submit"]', left()),
        )
        acted += 1
        break
      default:
        // Auto-submitting pages (form_post) move on by themselves.
        await sleep(100)
        if (Date.now() > deadline) throw new Error(`chromiumApprover: stuck at ${page.url()}: ${seen.text}`)
    }
  }

  const redirectedTo = callback.url()
  if (opts.stopAtRedirect) return { finalUrl: page.url(), redirectedTo }

  let timer: NodeJS.Timeout | undefined
  const late = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), Math.max(0, deadline - Date.now()))
  })
  const response = await Promise.race([callback.response(), late]).finally(() => clearTimeout(timer))
  if (!response) {
    const why = callback.failure()?.errorText ?? 'no answer in time'
    throw new Error(`chromiumApprover: the browser could not deliver to ${redirectedTo}: ${why}`)
  }
  await page.waitForLoadState('domcontentloaded', left()).catch(() => {})
  return { finalUrl: page.url(), redirectedTo }
}

export async function launchChromium(): Promise<ChromiumApprover> {
  const dir = await mkdtemp(join(tmpdir(), 'authkeep-chromium-'))
  let context: BrowserContext
  try {
    context = await chromium.launchPersistentContext(dir, {
      executablePath: CHROMIUM,
      headless: true,
      args: FLAGS,
      // Chromium writes crash reports and dconf under HOME even with a fresh profile.
      env: { ...process.env, HOME: dir },
      timeout: WAIT_MS,
    })
  } catch (err) {
    await rm(dir, { recursive: true, force: true })
    throw err
  }
  // Offline, the default pages' Google Fonts import stalls each load by seconds.
  await context.route('**/*', (route) =>
    isLoopback(new URL(route.request().url())) ? route.continue() : route.abort(),
  )

  let last: Page | undefined
  return {
    async approve(url, opts = {}) {
      await last?.close()
      last = await context.newPage()
      return approveIn(last, url, opts)
    },
    async screenshot(path) {
      if (!last) throw new Error('chromiumApprover: no page yet to screenshot')
      await last.screenshot({ path, timeout: WAIT_MS })
    },
    async close() {
      try {
        await context.close()
      } finally {
        await rm(dir, { recursive: true, force: true, maxRetries: 3 })
      }
    },
  }
}
