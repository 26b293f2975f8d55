// oidc-provider ships no types. This covers only what the test bed touches, so the
// project needs no @types/oidc-provider (and its @types/koa tree) just for tests.
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http'

  export interface OidcError extends Error {
    error?: string
    error_description?: string
    error_detail?: string
  }

  export interface OidcContext {
    oidc?: { params?: Record<string, unknown>; entities?: { RefreshToken?: { grantId?: string } } }
  }

  interface GrantMember {
    revokeByGrantId(grantId: string): Promise<void>
  }

  interface TokenModel extends GrantMember {
    find(value: string, opts?: { ignoreExpiration?: boolean }): Promise<{ grantId?: string } | undefined>
    new (fields: Record<string, unknown>): { save(): Promise<string> }
  }

  interface GrantModel {
    adapter: { destroy(id: string): Promise<void> }
    new (fields: {
      accountId: string
      clientId: string
    }): { addOIDCScope(scope: string): void; save(): Promise<string> }
  }

  export default class Provider {
    constructor(issuer: string, configuration?: Record<string, unknown>)
    callback(): (req: IncomingMessage, res: ServerResponse) => void
    on(event: 'grant.success', listener: (ctx: OidcContext) => void): this
    on(event: 'grant.error', listener: (ctx: OidcContext, err: OidcError) => void): this
    on(event: string, listener: (...args: unknown[]) => void): this
    readonly AccessToken: GrantMember
    readonly AuthorizationCode: GrantMember
    readonly DeviceCode: GrantMember
    readonly RefreshToken: TokenModel
    readonly Grant: GrantModel
    readonly Client: { find(id: string): Promise<unknown> }
  }
}

declare module 'oidc-provider/lib/adapters/memory_adapter.js' {
  export default class MemoryAdapter {
    constructor(model: string, store: unknown, clockTolerance?: number)
  }
}

declare module 'oidc-provider/lib/helpers/lru.js' {
  export default class LRU {
    constructor(opts: { maxSize: number })
  }
}
