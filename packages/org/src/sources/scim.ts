import { randomUUID } from 'node:crypto'
import { type ClickHouseClient, queryRows } from '@orgpulse/clickhouse'
import { OrgpulseError, toClickHouseTime } from '@orgpulse/contracts'
import type { HrRecord, HrSource } from './records.ts'

/**
 * The SCIM 2.0 user resource as orgpulse keeps it, for the service-provider endpoint Okta and
 * Entra ID provisioning push to (services/api/src/scim). Shapes follow RFC 7643 (core User schema
 * §4.1, enterprise extension §4.3, meta §3.1) and RFC 7644 (PATCH §3.5.2, filters §3.4.2.2, errors
 * §3.12); the clients' quirks follow their docs: Entra ID's
 * https://learn.microsoft.com/en-us/entra/identity/app-provisioning/use-scim-to-provision-users-and-groups
 * (capitalised "Replace"/"Add"/"Remove", `active` as the string "False", the manager as the path
 * `urn:…:enterprise:2.0:User:manager` with the id as a plain string) and Okta's
 * https://developer.okta.com/docs/api/openapi/okta-scim/guides/scim-20 (`userName eq "…"` lookups,
 * deactivation as a PATCH `{"op":"replace","value":{"active":false}}` without a path, PUT of the
 * whole user).
 */
export const SCIM_USER = 'urn:ietf:params:scim:schemas:core:2.0:User'
export const SCIM_ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'
export const SCIM_PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp'
export const SCIM_LIST = 'urn:ietf:params:scim:api:messages:2.0:ListResponse'
export const SCIM_ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error'

export type ScimErrorType =
  | 'invalidFilter'
  | 'uniqueness'
  | 'invalidSyntax'
  | 'invalidPath'
  | 'noTarget'
  | 'invalidValue'
  | 'mutability'

/** an error the endpoint answers in RFC 7644 §3.12's body */
export class ScimError extends OrgpulseError {
  constructor(
    readonly status: number,
    detail: string,
    readonly scimType?: ScimErrorType,
  ) {
    super(status === 404 ? 'not_found' : status === 409 ? 'conflict' : 'invalid_input', detail)
  }

  body(): Record<string, unknown> {
    return {
      schemas: [SCIM_ERROR],
      status: String(this.status),
      ...(this.scimType ? { scimType: this.scimType } : {}),
      detail: this.message,
    }
  }
}

export type ScimUser = Record<string, unknown> & { id: string; userName: string }

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

/** Entra ID sends booleans as "True"/"False" in PATCH values */
function toBool(v: unknown, what: string): boolean {
  if (typeof v === 'boolean') return v
  if (typeof v === 'string' && /^(true|false)$/i.test(v.trim())) return v.trim().toLowerCase() === 'true'
  throw new ScimError(400, `${what} must be a boolean (got ${JSON.stringify(v)})`, 'invalidValue')
}

/** attribute names are case-insensitive (RFC 7643 §2.1): the key an object already uses for `name` */
const keyIn = (o: Record<string, unknown>, name: string): string =>
  Object.keys(o).find((k) => k.toLowerCase() === name.toLowerCase()) ?? name

function setKey(o: Record<string, unknown>, name: string, value: unknown): void {
  const existing = keyIn(o, name)
  if (existing !== name) delete o[existing]
  o[name] = value
}

const getKey = (o: Record<string, unknown>, name: string): unknown => o[keyIn(o, name)]

/**
 * A POSTed or PUT user, checked and brought to orgpulse's form: `userName` required, `id` and
 * `meta` the server's, `active` a boolean (default true), the enterprise extension's manager an
 * object `{value}`, `schemas` naming the extension when it is present.
 */
export function normalizeUser(body: unknown, id: string): ScimUser {
  if (!isObject(body)) throw new ScimError(400, 'the body must be a SCIM User object', 'invalidSyntax')
  const user: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(body)) {
    const lower = k.toLowerCase()
    if (lower === 'id' || lower === 'meta' || lower === 'schemas' || lower === 'password') continue
    if (lower.startsWith(`${SCIM_ENTERPRISE.toLowerCase()}:`)) {
      // a flattened extension attribute ("urn:…:User:department": "x"), as some clients send
      setExtension(user, k.slice(SCIM_ENTERPRISE.length + 1), v)
      continue
    }
    if (lower === SCIM_ENTERPRISE.toLowerCase()) {
      if (!isObject(v)) throw new ScimError(400, `${SCIM_ENTERPRISE} must be an object`, 'invalidValue')
      for (const [ek, ev] of Object.entries(v)) setExtension(user, ek, ev)
      continue
    }
    user[k] = v
  }
  const userName = getKey(user, 'userName')
  if (typeof userName !== 'string' || userName.trim() === '')
    throw new ScimError(400, 'userName is required', 'invalidValue')
  setKey(user, 'userName', userName.trim())
  const active = getKey(user, 'active')
  setKey(user, 'active', active === undefined ? true : toBool(active, 'active'))
  return finish({ ...user, id })
}

function finish(user: Record<string, unknown>): ScimUser {
  // a password is write-only (RFC 7643 §4.1.1) and orgpulse has no use for one: never stored
  for (const k of Object.keys(user)) if (k.toLowerCase() === 'password') delete user[k]
  const ext = user[SCIM_ENTERPRISE]
  if (isObject(ext) && Object.keys(ext).length === 0) delete user[SCIM_ENTERPRISE]
  const schemas = user[SCIM_ENTERPRISE] ? [SCIM_USER, SCIM_ENTERPRISE] : [SCIM_USER]
  // a patched user carries its stored `schemas`: the extension may have come or gone since
  const { id, schemas: _stored, ...rest } = user
  return { schemas, id, ...rest } as unknown as ScimUser
}

function extension(user: Record<string, unknown>): Record<string, unknown> {
  const ext = user[SCIM_ENTERPRISE]
  if (isObject(ext)) return ext
  const fresh: Record<string, unknown> = {}
  user[SCIM_ENTERPRISE] = fresh
  return fresh
}

/** one enterprise attribute; the manager may come as an id string (Entra) or `{value}` (RFC 7643) */
function setExtension(user: Record<string, unknown>, attr: string, value: unknown): void {
  const ext = extension(user)
  if (attr.toLowerCase() === 'manager') {
    const id = isObject(value) ? getKey(value, 'value') : value
    if (id === null || id === undefined || id === '') delete ext[keyIn(ext, 'manager')]
    else if (typeof id === 'string') setKey(ext, 'manager', { value: id })
    else throw new ScimError(400, 'manager must be an id or {"value": id}', 'invalidValue')
    return
  }
  if (value === null) delete ext[keyIn(ext, attr)]
  else setKey(ext, attr, value)
}

interface PatchOperation {
  op: 'add' | 'replace' | 'remove'
  path?: string
  value?: unknown
}

function operations(body: unknown): PatchOperation[] {
  if (!isObject(body)) throw new ScimError(400, 'the body must be a PatchOp', 'invalidSyntax')
  const schemas = getKey(body, 'schemas')
  if (!Array.isArray(schemas) || !schemas.includes(SCIM_PATCH_OP))
    throw new ScimError(400, `a PATCH body names the schema ${SCIM_PATCH_OP}`, 'invalidSyntax')
  const ops = getKey(body, 'Operations')
  if (!Array.isArray(ops) || ops.length === 0)
    throw new ScimError(400, 'Operations must be a non-empty array', 'invalidSyntax')
  return ops.map((o) => {
    if (!isObject(o)) throw new ScimError(400, 'each operation must be an object', 'invalidSyntax')
    const op = String(getKey(o, 'op') ?? '').toLowerCase()
    if (op !== 'add' && op !== 'replace' && op !== 'remove')
      throw new ScimError(
        400,
        `op must be add, replace or remove (got ${JSON.stringify(getKey(o, 'op'))})`,
        'invalidSyntax',
      )
    const path = getKey(o, 'path')
    if (path !== undefined && typeof path !== 'string')
      throw new ScimError(400, 'path must be a string', 'invalidPath')
    return { op, ...(path ? { path: path.trim() } : {}), value: getKey(o, 'value') }
  })
}

/** `attr[sub eq "x"].leaf`: a filtered multi-valued attribute (emails[type eq "work"].value) */
const VALUE_PATH =
  /^([A-Za-z][\w$-]*)\[\s*([A-Za-z][\w$-]*)\s+eq\s+"((?:[^"\\]|\\.)*)"\s*\](?:\.([A-Za-z][\w$-]*))?$/i

/** Applies an RFC 7644 §3.5.2 PatchOp to a stored user; returns the new user. */
export function applyPatch(stored: ScimUser, body: unknown): ScimUser {
  const user = structuredClone(stored) as Record<string, unknown>
  for (const op of operations(body)) {
    if (!op.path) {
      if (op.op === 'remove') throw new ScimError(400, 'remove needs a path', 'noTarget')
      if (!isObject(op.value))
        throw new ScimError(400, `${op.op} without a path needs an object value`, 'invalidValue')
      for (const [k, v] of Object.entries(op.value)) setPath(user, k, v, op.op)
      continue
    }
    if (op.op === 'remove') removePath(user, op.path)
    else setPath(user, op.path, op.value, op.op)
  }
  const userName = getKey(user, 'userName')
  if (typeof userName !== 'string' || userName.trim() === '')
    throw new ScimError(400, 'userName is required', 'invalidValue')
  return finish(user)
}

function setPath(user: Record<string, unknown>, path: string, value: unknown, op: 'add' | 'replace'): void {
  const lower = path.toLowerCase()
  const ent = SCIM_ENTERPRISE.toLowerCase()
  if (lower === ent) {
    if (!isObject(value)) throw new ScimError(400, `${SCIM_ENTERPRISE} must be an object`, 'invalidValue')
    for (const [k, v] of Object.entries(value)) setExtension(user, k, v)
    return
  }
  if (lower.startsWith(`${ent}:`)) {
    setExtension(user, path.slice(ent.length + 1), value)
    return
  }
  if (lower.startsWith(`${SCIM_USER.toLowerCase()}:`)) {
    setPath(user, path.slice(SCIM_USER.length + 1), value, op)
    return
  }
  const filtered = VALUE_PATH.exec(path)
  if (filtered) {
    const [, attr, sub, match, leaf] = filtered as unknown as [
      string,
      string,
      string,
      string,
      string | undefined,
    ]
    const list = getKey(user, attr)
    const items = Array.isArray(list) ? list : []
    const hits = items.filter((i) => isObject(i) && String(getKey(i, sub)) === match)
    if (hits.length === 0) {
      // Entra adds a work email by a filtered path before any exists: create the element
      const item: Record<string, unknown> = { [sub]: match }
      if (leaf) item[leaf] = value
      else if (isObject(value)) Object.assign(item, value)
      items.push(item)
    }
    for (const hit of hits as Record<string, unknown>[]) {
      if (leaf) setKey(hit, leaf, value)
      else if (isObject(value)) Object.assign(hit, value)
    }
    setKey(user, attr, items)
    return
  }
  const [head, leaf, ...more] = path.split('.')
  if (!head || more.length > 0 || !/^[A-Za-z][\w$-]*$/.test(head))
    throw new ScimError(400, `unsupported path ${JSON.stringify(path)}`, 'invalidPath')
  if (head.toLowerCase() === 'id' || head.toLowerCase() === 'meta')
    throw new ScimError(400, `${head} is read-only`, 'mutability')
  if (leaf) {
    const parent = getKey(user, head)
    const obj = isObject(parent) ? parent : {}
    setKey(obj, leaf, value)
    setKey(user, head, obj)
    return
  }
  if (head.toLowerCase() === 'active') {
    setKey(user, 'active', toBool(value, 'active'))
    return
  }
  const current = getKey(user, head)
  // add to a multi-valued attribute appends (RFC 7644 §3.5.2.1); replace swaps it whole
  if (op === 'add' && Array.isArray(current) && Array.isArray(value))
    setKey(user, head, [...current, ...value])
  else if (op === 'add' && isObject(current) && isObject(value)) setKey(user, head, { ...current, ...value })
  else setKey(user, head, value)
}

function removePath(user: Record<string, unknown>, path: string): void {
  const lower = path.toLowerCase()
  const ent = SCIM_ENTERPRISE.toLowerCase()
  if (lower === ent) {
    delete user[SCIM_ENTERPRISE]
    return
  }
  if (lower.startsWith(`${ent}:`)) {
    setExtension(user, path.slice(ent.length + 1), null)
    return
  }
  const filtered = VALUE_PATH.exec(path)
  if (filtered) {
    const [, attr, sub, match, leaf] = filtered as unknown as [
      string,
      string,
      string,
      string,
      string | undefined,
    ]
    const list = getKey(user, attr)
    if (!Array.isArray(list)) return
    if (leaf) {
      for (const i of list) if (isObject(i) && String(getKey(i, sub)) === match) delete i[keyIn(i, leaf)]
    } else
      setKey(
        user,
        attr,
        list.filter((i) => !(isObject(i) && String(getKey(i, sub)) === match)),
      )
    return
  }
  const [head, leaf] = path.split('.')
  if (!head) throw new ScimError(400, `unsupported path ${JSON.stringify(path)}`, 'invalidPath')
  if (head.toLowerCase() === 'username' || head.toLowerCase() === 'id')
    throw new ScimError(400, `${head} cannot be removed`, 'mutability')
  if (leaf) {
    const parent = getKey(user, head)
    if (isObject(parent)) delete parent[keyIn(parent, leaf)]
  } else delete user[keyIn(user, head)]
}

/** a filter the endpoint answers: one `attr eq "value"` (what Okta and Entra send) */
export interface ScimFilter {
  attr: 'userName' | 'externalId' | 'id' | 'email' | 'displayName'
  value: string
}

/** RFC 7644 §3.4.2.2, the subset provisioning clients use; anything else is `invalidFilter` */
export function parseFilter(filter: string): ScimFilter {
  const m = /^\s*([\w.:$-]+(?:\[\s*type\s+eq\s+"[^"]*"\s*\]\.value)?)\s+eq\s+"((?:[^"\\]|\\.)*)"\s*$/i.exec(
    filter,
  )
  if (!m)
    throw new ScimError(
      400,
      `unsupported filter ${JSON.stringify(filter)}: use attr eq "value"`,
      'invalidFilter',
    )
  const attr = (m[1] as string).toLowerCase()
  const value = (m[2] as string).replace(/\\(.)/g, '$1')
  if (attr === 'username') return { attr: 'userName', value }
  if (attr === 'externalid') return { attr: 'externalId', value }
  if (attr === 'id') return { attr: 'id', value }
  if (attr === 'displayname') return { attr: 'displayName', value }
  if (attr === 'emails.value' || attr === 'emails' || /^emails\[type eq "[^"]*"\]\.value$/.test(attr))
    return { attr: 'email', value }
  throw new ScimError(400, `unsupported filter attribute ${m[1]}`, 'invalidFilter')
}

const emailsOf = (user: Record<string, unknown>): { value: string; primary: boolean; type: string }[] => {
  const list = getKey(user, 'emails')
  if (!Array.isArray(list)) return []
  return list
    .filter(isObject)
    .map((e) => ({
      value: String(getKey(e, 'value') ?? ''),
      primary: getKey(e, 'primary') === true || getKey(e, 'primary') === 'True',
      type: String(getKey(e, 'type') ?? ''),
    }))
    .filter((e) => e.value !== '')
}

/** userName, emails and displayName are case-insensitive (caseExact false); ids are exact */
export function matches(user: ScimUser, f: ScimFilter): boolean {
  const ci = (a: unknown) => typeof a === 'string' && a.toLowerCase() === f.value.toLowerCase()
  if (f.attr === 'id') return user.id === f.value
  if (f.attr === 'externalId') return getKey(user, 'externalId') === f.value
  if (f.attr === 'email') return emailsOf(user).some((e) => ci(e.value))
  return ci(getKey(user, f.attr))
}

/** The person a provisioned user is in the org. */
export function recordOfUser(user: ScimUser): HrRecord {
  const emails = emailsOf(user)
  const email =
    emails.find((e) => e.primary)?.value ??
    emails.find((e) => e.type.toLowerCase() === 'work')?.value ??
    emails[0]?.value ??
    (user.userName.includes('@') ? user.userName : null)
  const nameObj = getKey(user, 'name')
  const n = isObject(nameObj) ? nameObj : {}
  const given = [getKey(n, 'givenName'), getKey(n, 'familyName')].filter((s) => typeof s === 'string' && s)
  const displayName = getKey(user, 'displayName')
  const name =
    (typeof displayName === 'string' && displayName.trim()) ||
    (typeof getKey(n, 'formatted') === 'string' && (getKey(n, 'formatted') as string).trim()) ||
    given.join(' ') ||
    user.userName
  const ext = isObject(user[SCIM_ENTERPRISE]) ? (user[SCIM_ENTERPRISE] as Record<string, unknown>) : {}
  const manager = getKey(ext, 'manager')
  const managerId = isObject(manager) ? getKey(manager, 'value') : undefined
  const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() ? v.trim() : undefined)
  return {
    sourceId: user.id,
    email,
    name,
    managerId: typeof managerId === 'string' && managerId ? managerId : null,
    title: str(getKey(user, 'title')),
    employeeId: str(getKey(ext, 'employeeNumber')),
    team: str(getKey(ext, 'department')),
    active: getKey(user, 'active') !== false,
  }
}

interface StoredRow {
  id: string
  resource: string
  created_at: string
  updated_at: string
  version: string | number
}

export interface StoredUser {
  user: ScimUser
  created: string
  lastModified: string
  version: string
}

const iso = (t: string): string => new Date(`${t.replace(' ', 'T')}Z`).toISOString()

/**
 * The provisioned users (migration 014 scim_users). Writes go one at a time in this process, so
 * a PATCH reads the version it replaces and userName stays unique; the api is the only writer.
 */
export class ScimUserStore {
  private chain: Promise<unknown> = Promise.resolve()
  private lastVersion = 0

  constructor(
    private readonly client: ClickHouseClient,
    private readonly now: () => Date = () => new Date(),
  ) {}

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn)
    this.chain = run.catch(() => undefined)
    return run
  }

  async list(): Promise<StoredUser[]> {
    const rows = await queryRows<StoredRow>(
      this.client,
      'SELECT id, resource, created_at, updated_at, version FROM scim_users FINAL WHERE deleted = 0 ORDER BY created_at, id',
    )
    return rows.map(toStored)
  }

  async get(id: string): Promise<StoredUser | null> {
    const rows = await queryRows<StoredRow>(
      this.client,
      'SELECT id, resource, created_at, updated_at, version FROM scim_users FINAL WHERE id = {id:String} AND deleted = 0',
      { id },
    )
    return rows[0] ? toStored(rows[0]) : null
  }

  create(body: unknown): Promise<StoredUser> {
    return this.serial(async () => {
      const user = normalizeUser(body, randomUUID())
      await this.assertUnique(user)
      const at = this.now().toISOString()
      return this.write(user, at, at)
    })
  }

  replace(id: string, body: unknown): Promise<StoredUser> {
    return this.serial(async () => {
      const old = await this.mustGet(id)
      const user = normalizeUser(body, id)
      await this.assertUnique(user)
      return this.write(user, old.created, this.now().toISOString())
    })
  }

  patch(id: string, body: unknown): Promise<StoredUser> {
    return this.serial(async () => {
      const old = await this.mustGet(id)
      const user = applyPatch(old.user, body)
      await this.assertUnique(user)
      return this.write(user, old.created, this.now().toISOString())
    })
  }

  remove(id: string): Promise<void> {
    return this.serial(async () => {
      const old = await this.mustGet(id)
      await this.write(old.user, old.created, this.now().toISOString(), true)
    })
  }

  private async mustGet(id: string): Promise<StoredUser> {
    const found = await this.get(id)
    if (!found) throw new ScimError(404, `User ${id} not found`)
    return found
  }

  private async assertUnique(user: ScimUser): Promise<void> {
    const rows = await queryRows<{ id: string }>(
      this.client,
      'SELECT id FROM scim_users FINAL WHERE deleted = 0 AND lower(user_name) = lower({u:String}) AND id != {id:String}',
      { u: user.userName, id: user.id },
    )
    if (rows.length > 0) throw new ScimError(409, `userName ${user.userName} is already taken`, 'uniqueness')
  }

  private async write(
    user: ScimUser,
    created: string,
    updated: string,
    deleted = false,
  ): Promise<StoredUser> {
    this.lastVersion = Math.max(Date.now() * 1000, this.lastVersion + 1)
    const externalId = getKey(user, 'externalId')
    await this.client.insert({
      table: 'scim_users',
      values: [
        {
          id: user.id,
          user_name: user.userName,
          external_id: typeof externalId === 'string' ? externalId : '',
          resource: JSON.stringify(user),
          deleted: deleted ? 1 : 0,
          created_at: toClickHouseTime(created),
          updated_at: toClickHouseTime(updated),
          version: this.lastVersion,
        },
      ],
      format: 'JSONEachRow',
      clickhouse_settings: { async_insert: 0 },
    })
    return { user, created, lastModified: updated, version: String(this.lastVersion) }
  }
}

const toStored = (r: StoredRow): StoredUser => ({
  user: JSON.parse(r.resource) as ScimUser,
  created: iso(r.created_at),
  lastModified: iso(r.updated_at),
  version: String(r.version),
})

/** `hr.source: scim`: the users provisioning pushed, as the org */
export function scimSource(client: ClickHouseClient): HrSource {
  return {
    name: 'scim',
    joinsIdentities: true,
    read: async () => (await new ScimUserStore(client).list()).map((s) => recordOfUser(s.user)),
  }
}
