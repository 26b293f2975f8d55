// Plays the person at the authorization server's pages over plain HTTP: no browser, just the
// forms oidc-provider's devInteractions render (device confirm, login, consent).

export interface ApproveResult {
  redirectedTo?: string
}

const MAX_STEPS = 20
const STEP_TIMEOUT_MS = 10_000
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]'])

interface Step {
  url: URL
  method: string
  body?: URLSearchParams
}

interface Form {
  action: string
  method: string
  fields: URLSearchParams
}

function attrs(tag: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const m of tag.matchAll(/([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) {
    out[(m[1] ?? '').toLowerCase()] = decode(m[2] ?? m[3] ?? '')
  }
  return out
}

function decode(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos);/gi, (_, e: string) => {
    const k = e.toLowerCase()
    if (k.startsWith('#x')) return String.fromCodePoint(Number.parseInt(k.slice(2), 16))
    if (k.startsWith('#')) return String.fromCodePoint(Number(k.slice(1)))
    return ({ amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" } as Record<string, string>)[k] ?? ''
  })
}

function pageText(html: string): string {
  const body = html.replace(/<style[\s\S]*?<\/style>|<script[\s\S]*?<\/script>/gi, '')
  return decode(body.replace(/<[^>]+>/g, ' '))
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 400)
}

// Buttons are never sent: the only named one on these pages is `abort`.
function firstForm(html: string, login: string): Form | undefined {
  for (const m of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)) {
    const a = attrs(m[1] ?? '')
    const action = a.action ?? ''
    if (/\/abort\b/.test(action)) continue
    const fields = new URLSearchParams()
    for (const input of (m[2] ?? '').matchAll(/<input\b([^>]*)>/gi)) {
      const i = attrs(input[1] ?? '')
      const name = i.name
      if (!name || name === 'abort') continue
      const type = (i.type ?? 'text').toLowerCase()
      if (type === 'submit' || type === 'button') continue
      if (name === 'login') fields.set(name, login)
      else if (type === 'password') fields.set(name, 'any-password')
      else if (type === 'hidden' || i.value) fields.set(name, i.value ?? '')
      else throw new Error(`approveWithHttp: the page asks for "${name}", which a test person cannot know`)
    }
    return { action, method: (a.method ?? 'get').toUpperCase(), fields }
  }
  return undefined
}

function isCallback(target: URL, start: URL): boolean {
  return target.protocol === 'http:' && LOOPBACK.has(target.hostname) && target.origin !== start.origin
}

export async function approveWithHttp(
  url: string,
  opts: { login?: string; deliver?: boolean } = {},
): Promise<ApproveResult> {
  const login = opts.login ?? 'alice'
  const start = new URL(url)
  const jar = new Map<string, string>()
  let step: Step = { url: start, method: 'GET' }

  for (let n = 0; n < MAX_STEPS; n += 1) {
    const headers: Record<string, string> = {}
    if (jar.size > 0) headers.cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ')
    if (step.body) headers['content-type'] = 'application/x-www-form-urlencoded'
    const res = await fetch(step.url, {
      method: step.method,
      headers,
      body: step.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(STEP_TIMEOUT_MS),
    })
    for (const c of res.headers.getSetCookie()) {
      const [pair = '', ...rest] = c.split(';')
      const eq = pair.indexOf('=')
      const name = pair.slice(0, eq).trim()
      const value = pair.slice(eq + 1).trim()
      const gone = rest.some((p) => /^\s*(max-age=0|expires=.*1970)/i.test(p))
      if (gone || value === '') jar.delete(name)
      else jar.set(name, value)
    }

    const location = res.headers.get('location')
    if (res.status >= 300 && res.status < 400 && location) {
      await res.body?.cancel()
      const next = new URL(location, step.url)
      if (isCallback(next, start)) {
        if (opts.deliver) await deliver(next)
        return { redirectedTo: next.href }
      }
      step = { url: next, method: 'GET' }
      continue
    }

    const html = await res.text()
    if (res.status !== 200) {
      throw new Error(
        `approveWithHttp: ${step.method} ${step.url.pathname} gave ${res.status}: ${pageText(html)}`,
      )
    }
    if (/<title>\s*Sign-in Success\s*<\/title>/i.test(html)) return {}
    const form = firstForm(html, login)
    if (!form)
      throw new Error(`approveWithHttp: no form to submit on ${step.url.pathname}: ${pageText(html)}`)
    const target = new URL(form.action || step.url.href, step.url)
    step =
      form.method === 'POST'
        ? { url: target, method: 'POST', body: form.fields }
        : { url: new URL(`${target.origin}${target.pathname}?${form.fields}`), method: 'GET' }
  }
  throw new Error(`approveWithHttp: no end after ${MAX_STEPS} pages starting at ${url}`)
}

async function deliver(callback: URL): Promise<void> {
  try {
    const res = await fetch(callback, { signal: AbortSignal.timeout(STEP_TIMEOUT_MS) })
    await res.arrayBuffer()
  } catch (err) {
    throw new Error(`approveWithHttp: could not deliver to ${callback.origin}${callback.pathname}`, {
      cause: err,
    })
  }
}
