import { readdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import type { LinearDocument } from '@linear/sdk'
import {
  type FakeLinear,
  LINEAR_IDS,
  LINEAR_SDL,
  linearTestSeed,
  startFakeLinear,
  stateId,
} from '@orgpulse/fakes/linear'
import {
  buildSchema,
  type GraphQLField,
  type GraphQLInputField,
  type GraphQLNamedType,
  type GraphQLType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
} from 'graphql'
import ts from 'typescript'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

/**
 * The Linear fake against what Linear publishes. Linear's npm SDK (@linear/sdk, pinned) ships no
 * schema.graphql and no introspection JSON (checked in 98.0.0: `dist/` holds only the generated
 * client and its .d.mts), but its .d.mts is generated from the production schema by
 * graphql-codegen, one TypeScript type per GraphQL type: `field: T` for a non-null field,
 * `field?: Maybe<T>` for a nullable one, `Array<T>` for a list, `Scalars["String"]` for a scalar,
 * `<Type><Field>Args` for a field's arguments, and the webhook payload types
 * (`EntityWebhookPayload`, `IssueWebhookPayload`, `UserActorWebhookPayload`: Linear publishes no
 * JSON schema for webhooks; https://linear.app/developers/webhooks points to these types). This
 * test reads those types back into a schema and checks (1) that every type, field, argument,
 * input and enum value the fake's SDL declares exists in Linear's with the same type, list-ness
 * and nullability, and (2) that the webhook bodies the fake delivers hold only fields of Linear's
 * payload types, with every required one present and each value of its declared type.
 */

interface TypeRef {
  named: string
  nullable: boolean
  list: boolean
  elementNullable: boolean
}
type SdkType =
  | { kind: 'object'; fields: Map<string, TypeRef | { literal: string }> }
  | { kind: 'union'; members: string[] }
  | { kind: 'enum'; values: Set<string> }

function loadSdkTypes(): Map<string, SdkType> {
  const require = createRequire(import.meta.url)
  const dist = join(dirname(require.resolve('@linear/sdk/package.json')), 'dist')
  const file = readdirSync(dist)
    .filter((f) => f.endsWith('.d.mts'))
    .map((f) => join(dist, f))
    .find((f) => readFileSync(f, 'utf8').includes('type IssueWebhookPayload = {'))
  if (!file) throw new Error('@linear/sdk: no .d.mts with the generated schema types')
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false)
  const aliases = new Map<string, ts.TypeNode>()
  const types = new Map<string, SdkType>()
  for (const st of source.statements) {
    if (ts.isTypeAliasDeclaration(st)) aliases.set(st.name.text, st.type)
    if (ts.isEnumDeclaration(st))
      types.set(st.name.text, {
        kind: 'enum',
        values: new Set(
          st.members.map((m) =>
            m.initializer && ts.isStringLiteral(m.initializer) ? m.initializer.text : m.name.getText(source),
          ),
        ),
      })
  }
  const ref = (node: ts.TypeNode, optional: boolean): TypeRef | { literal: string } => {
    let nullable = optional
    let n = node
    const unwrap = (t: ts.TypeNode): ts.TypeNode | null =>
      ts.isTypeReferenceNode(t) &&
      ['Maybe', 'InputMaybe'].includes(t.typeName.getText(source)) &&
      t.typeArguments?.[0]
        ? t.typeArguments[0]
        : null
    for (let inner = unwrap(n); inner; inner = unwrap(n)) {
      nullable = true
      n = inner
    }
    if (ts.isLiteralTypeNode(n) && ts.isStringLiteral(n.literal)) return { literal: n.literal.text }
    let list = false
    let elementNullable = false
    if (ts.isTypeReferenceNode(n) && n.typeName.getText(source) === 'Array' && n.typeArguments?.[0]) {
      list = true
      n = n.typeArguments[0]
      const inner = unwrap(n)
      if (inner) {
        elementNullable = true
        n = inner
      }
    }
    let named = n.getText(source)
    if (
      ts.isIndexedAccessTypeNode(n) &&
      ts.isLiteralTypeNode(n.indexType) &&
      ts.isStringLiteral(n.indexType.literal)
    )
      named = n.indexType.literal.text
    return { named, nullable, list, elementNullable }
  }
  const fieldsOf = (node: ts.TypeNode, into: Map<string, TypeRef | { literal: string }>): void => {
    if (ts.isTypeLiteralNode(node)) {
      for (const m of node.members)
        if (ts.isPropertySignature(m) && m.type)
          into.set(m.name.getText(source), ref(m.type, !!m.questionToken))
    } else if (ts.isIntersectionTypeNode(node)) {
      for (const t of node.types) fieldsOf(t, into)
    } else if (ts.isTypeReferenceNode(node)) {
      const target = aliases.get(node.typeName.getText(source))
      if (target) fieldsOf(target, into)
    }
  }
  for (const [name, node] of aliases) {
    if (ts.isUnionTypeNode(node) && node.types.every(ts.isTypeReferenceNode))
      types.set(name, { kind: 'union', members: node.types.map((t) => t.getText(source)) })
    else {
      const fields = new Map<string, TypeRef | { literal: string }>()
      fieldsOf(node, fields)
      types.set(name, { kind: 'object', fields })
    }
  }
  const scalars = types.get('Scalars')
  if (scalars?.kind === 'object')
    for (const s of scalars.fields.keys()) types.set(s, { kind: 'enum', values: new Set() })
  return types
}

const sdk = loadSdkTypes()
const sdkObject = (name: string) => {
  const t = sdk.get(name)
  return t?.kind === 'object' ? t.fields : undefined
}

function gqlRef(type: GraphQLType): TypeRef {
  let t = type
  const nullable = !isNonNullType(t)
  if (isNonNullType(t)) t = t.ofType
  let list = false
  let elementNullable = false
  if (isListType(t)) {
    list = true
    t = t.ofType
    elementNullable = !isNonNullType(t)
    if (isNonNullType(t)) t = t.ofType
  }
  return { named: (t as GraphQLNamedType).name, nullable, list, elementNullable }
}

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1)

/** differences between the fake's SDL and Linear's schema as the SDK's types state it */
function schemaDifferences(): string[] {
  const fake = buildSchema(LINEAR_SDL)
  const out: string[] = []
  const compare = (where: string, mine: TypeRef, theirs: TypeRef | { literal: string } | undefined) => {
    if (!theirs) return out.push(`${where}: not in Linear's schema`)
    if ('literal' in theirs) return out.push(`${where}: Linear has the literal "${theirs.literal}"`)
    // an argument or input field may be stricter here only if Linear's is optional too: compare exactly
    for (const k of ['named', 'nullable', 'list', 'elementNullable'] as const)
      if (mine[k] !== theirs[k])
        out.push(`${where}: ${k} ${String(mine[k])} here, ${String(theirs[k])} in Linear`)
  }
  for (const type of Object.values(fake.getTypeMap())) {
    if (type.name.startsWith('__')) continue
    const theirs = sdk.get(type.name)
    if (!theirs) {
      out.push(`${type.name}: no such type in Linear's schema`)
      continue
    }
    if (isScalarType(type)) continue
    if (isEnumType(type)) {
      const values = theirs.kind === 'enum' ? theirs.values : new Set<string>()
      for (const v of type.getValues())
        if (!values.has(v.name)) out.push(`${type.name}.${v.name}: no such enum value in Linear`)
      continue
    }
    if (!isObjectType(type) && !isInputObjectType(type)) continue
    const fields = sdkObject(type.name)
    if (!fields) {
      out.push(`${type.name}: not an object type in Linear`)
      continue
    }
    for (const f of Object.values(type.getFields()) as (
      | GraphQLField<unknown, unknown>
      | GraphQLInputField
    )[]) {
      compare(`${type.name}.${f.name}`, gqlRef(f.type), fields.get(f.name))
      if (!('args' in f) || f.args.length === 0) continue
      const args = sdkObject(`${type.name}${cap(f.name)}Args`)
      for (const a of f.args) compare(`${type.name}.${f.name}(${a.name})`, gqlRef(a.type), args?.get(a.name))
    }
  }
  return out
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/

/** where `value` departs from Linear's type `typeName` (unknown fields, missing required ones, wrong value types) */
function valueDifferences(value: unknown, typeName: string, path: string): string[] {
  const t = sdk.get(typeName)
  if (!t) return [`${path}: Linear has no type ${typeName}`]
  if (t.kind === 'union') {
    const tries = t.members.map((m) => valueDifferences(value, m, path))
    return tries.some((d) => d.length === 0) ? [] : [`${path}: matches none of ${t.members.join(', ')}`]
  }
  if (t.kind === 'enum') {
    const ok: Record<string, (v: unknown) => boolean> = {
      String: (v) => typeof v === 'string',
      ID: (v) => typeof v === 'string',
      Float: (v) => typeof v === 'number',
      Int: (v) => Number.isInteger(v),
      Boolean: (v) => typeof v === 'boolean',
      DateTime: (v) => typeof v === 'string' && ISO.test(v),
      JSONObject: (v) => typeof v === 'object' && v !== null && !Array.isArray(v),
    }
    const check = ok[typeName]
    if (check) return check(value) ? [] : [`${path}: ${JSON.stringify(value)} is not a ${typeName}`]
    return t.values.has(String(value)) ? [] : [`${path}: ${JSON.stringify(value)} is not a ${typeName}`]
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [`${path}: not an object`]
  const out: string[] = []
  const record = value as Record<string, unknown>
  for (const key of Object.keys(record))
    if (!t.fields.has(key)) out.push(`${path}.${key}: not a field of Linear's ${typeName}`)
  for (const [key, ref] of t.fields) {
    if (key === '__typename') continue
    const v = record[key]
    if ('literal' in ref) {
      if (v !== ref.literal) out.push(`${path}.${key}: expected "${ref.literal}"`)
      continue
    }
    if (v === undefined || v === null) {
      if (!ref.nullable) out.push(`${path}.${key}: required by Linear's ${typeName}, missing`)
      continue
    }
    if (ref.list) {
      if (!Array.isArray(v)) out.push(`${path}.${key}: not a list`)
      else
        for (const [i, e] of v.entries()) out.push(...valueDifferences(e, ref.named, `${path}.${key}[${i}]`))
    } else out.push(...valueDifferences(v, ref.named, `${path}.${key}`))
  }
  return out
}

let fake: FakeLinear
beforeAll(async () => {
  fake = await startFakeLinear(linearTestSeed())
})
afterAll(async () => {
  await fake.close()
})

describe("the Linear fake against Linear's published types (@linear/sdk)", () => {
  it("reads Linear's schema from the SDK's types (a sanity check of the reader itself)", () => {
    expect(sdkObject('User')?.get('email')).toEqual({
      named: 'String',
      nullable: false,
      list: false,
      elementNullable: false,
    })
    expect(sdkObject('Issue')?.get('assignee')).toMatchObject({ named: 'User', nullable: true })
    expect(sdkObject('IssueWebhookPayload')?.get('creatorId')).toMatchObject({
      named: 'String',
      nullable: true,
    })
    // the reader finds a field the fake invents
    expect(valueDifferences({ id: 'x', invented: 1 }, 'TeamChildWebhookPayload', 'team')).toEqual([
      "team.invented: not a field of Linear's TeamChildWebhookPayload",
      "team.key: required by Linear's TeamChildWebhookPayload, missing",
      "team.name: required by Linear's TeamChildWebhookPayload, missing",
    ])
  })

  it("the fake's GraphQL schema is a subset of Linear's: same names, types, lists and nullability", () => {
    expect(schemaDifferences()).toEqual([])
  })

  it('every webhook body the fake delivers fits EntityWebhookPayloadWithIssueData', () => {
    const m = fake.model
    const { issues, users, teams } = LINEAR_IDS
    const bodies = [
      m.createIssue(
        {
          id: 'i-contract-1',
          teamId: teams.plat,
          number: 90,
          title: 'contract',
          stateId: stateId('plat', 'Todo'),
        },
        { actorId: users.bob },
      ),
      m.moveIssue(issues.platDecision, stateId('plat', 'Decided'), { actorId: users.carol }),
      m.assign('i-contract-1', users.dave, { actorId: users.bob }),
      m.removeIssue('i-contract-1', { actorId: users.bob }),
    ]
    const out = bodies.flatMap((b, i) =>
      valueDifferences(b, 'EntityWebhookPayloadWithIssueData', `body[${i}]`),
    )
    expect(out).toEqual([])
    // the compiler holds the fake to the same types where JSON and TypeScript agree
    const data: Omit<LinearDocument.IssueWebhookPayload, 'createdAt'> = bodies[0]!.data as ReturnType<
      typeof m.issueWebhookData
    >
    const actor: LinearDocument.UserActorWebhookPayload = bodies[0]!.actor!
    expect([data.creatorId, actor.id]).toEqual([users.bob, users.bob])
  })
})
