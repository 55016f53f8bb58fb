import type { DlqRecord, Env, NamedEnv, OrgpulseConfig, RawEnvelope, Source } from '@orgpulse/contracts'
import type { FastifyPluginAsync } from 'fastify'
import type { ZodType } from 'zod'
import type { ConnectorContext } from './context.ts'
import type { Mapper } from './mapper.ts'

/** One line of a sync's progress; `record` is the structured form for logs that are not a terminal. */
export interface SyncProgressLine {
  line: string
  record?: Record<string, unknown>
}

export interface SyncOptions {
  /** ignore the cursors and read everything again */
  full?: boolean
  /** only these scopes (Jira project keys, Linear team keys, calendar owners); default: all configured */
  only?: string[]
  progress?: (p: SyncProgressLine) => void
  /** where credentials are read instead of the context's environment (the demo's fake vendors) */
  env?: Env
}

export interface SyncReport<R> {
  /** what the connector did, as `--format json` prints it */
  result: R
  /** the same for a person or a log, one line each */
  lines: string[]
  /** scopes that failed while the others synced (a non-empty list makes `ingest` exit 2) */
  failed: string[]
}

/** What a webhook route is given wherever it is mounted: the api in embedded mode, the connector's service in full mode. */
/** deliveries a webhook route already published, by key (a delivery id, a body hash) */
export interface DeliveryStore {
  seen(keys: string[]): Promise<boolean>
  remember(keys: string[]): Promise<void>
}

export interface WebhookMount {
  config: OrgpulseConfig
  /**
   * a durable store of published deliveries for `source` (the api: a ClickHouse table), so a
   * replay is recognised after a restart; without one a route remembers recent ones in memory
   */
  deliveries?(source: string): DeliveryStore
  /** resolves once the bus acknowledged the envelopes */
  publish(envelopes: RawEnvelope[]): Promise<void>
  deadLetter?(records: DlqRecord[]): Promise<void>
  log(msg: string): void
  /** a secret by the environment variable the config names (undefined when unset or blank) */
  secret(name: string): string | undefined
  /**
   * the parsed environment, for a route that calls its vendor back (Jira's issuelink_* deliveries
   * name issues by id only: the route reads their keys with the configured credentials)
   */
  env: NamedEnv
}

/** OpenAPI for a webhook route, in plain JSON schema; the host adds the security its mount has. */
export interface WebhookDocs {
  operationId?: string
  summary?: string
  description?: string
  tags: string[]
  /** 2xx answers: status → JSON schema */
  accepted: Record<number, Record<string, unknown>>
  /** error answers (body `{error}`): status → when */
  errors: Record<number, string>
}

export interface ConnectorWebhook {
  method: 'POST'
  path: string
  /**
   * `signature`: public route, each delivery signed by the vendor with a shared secret.
   * `token`: a client API; the host puts its own auth in front (the api's bearer tokens).
   */
  auth: 'signature' | 'token'
  docs: WebhookDocs
  /** the route's plugin, or why it is off here (no secret, section not configured) */
  plugin(mount: WebhookMount): FastifyPluginAsync | { off: string }
}

/**
 * A source of data, whichever process runs it. Adding a source is one package exporting one of
 * these, one line in the registry (@orgpulse/connectors) and a few-line service entry.
 */
export interface Connector<R = unknown, O extends SyncOptions = SyncOptions> {
  source: Source
  /**
   * Bumped when the mapper's output for the same raw envelope changes, so it is known which
   * canonical events a replay of the raw topic would rewrite.
   */
  mappingVersion: number
  /** its section of orgpulse.yaml (null: the source takes no configuration) */
  configSchema: ZodType | null
  /** whether orgpulse.yaml turns the scheduled pull on */
  configured(config: OrgpulseConfig): boolean
  mapper: Mapper
  /** the incremental pull from the stored cursors; absent for sources that only push */
  sync?(ctx: ConnectorContext, options?: O): Promise<SyncReport<R>>
  webhook?: ConnectorWebhook
}

/** a connector with a pull, which `ingest watch`, `start` and its service schedule */
export type PullConnector<R = unknown, O extends SyncOptions = SyncOptions> = Connector<R, O> & {
  sync: NonNullable<Connector<R, O>['sync']>
}

/** the route is off here, and why */
export const webhookOff = (p: ReturnType<ConnectorWebhook['plugin']>): p is { off: string } =>
  typeof p === 'object' && p !== null && 'off' in p
