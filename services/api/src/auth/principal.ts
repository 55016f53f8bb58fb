import type { OrgScope } from './tokens.ts'

/**
 * Who is asking. `admin` sees every org and the admin routes; `org` is bound to one director's
 * subtree, and its `scope` says whether it reads it or submits decisions raised in it;
 * `local` is an unauthenticated loopback caller while auth is 'auto' and no token exists yet
 * (embedded mode out of the box): it is treated like admin.
 */
export type Principal =
  | { kind: 'admin'; tokenId: string }
  | { kind: 'org'; tokenId: string; org: string; scope: OrgScope }
  | { kind: 'local' }

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null
  }
}
