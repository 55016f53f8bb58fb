/**
 * The values a Kubernetes deployment of orgpulse is generated from (infra/k8s/values.yaml), as a
 * zod schema: strict at every level (an unknown key is an error, as in orgpulse.yaml), with the
 * defaults the committed manifests use. `pnpm k8s` also writes it as JSON Schema
 * (infra/k8s/values.schema.json) for editors and other tooling.
 */
import { z } from 'zod'

const name = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a DNS-1123 label (lower case, digits, -)')
  .max(63)

/** a key of a Secret the cluster already holds: manifests name it, never carry its value */
const secretKey = z
  .strictObject({
    name: name.describe('Secret name'),
    key: z.string().min(1).describe('key inside the Secret'),
  })
  .describe('a key of an existing Secret (created by you or your secret operator, never by these manifests)')

const quantity = z
  .string()
  .regex(/^\d+(\.\d+)?(m|Ki|Mi|Gi|Ti)?$/, 'must be a Kubernetes quantity, e.g. 250m or 512Mi')
const resources = z
  .strictObject({
    requests: z.strictObject({ cpu: quantity, memory: quantity }),
    limits: z.strictObject({ cpu: quantity.optional(), memory: quantity }),
  })
  .describe('container resources (a memory limit is required: a leaking process is restarted, not the node)')

const res = (cpu: string, memory: string, limit: string) => ({
  requests: { cpu, memory },
  limits: { memory: limit },
})

const cron = z
  .string()
  .regex(/^(\S+\s+){4}\S+$/, 'must be a five-field cron schedule')
  .describe('cron schedule (five fields, the cluster time zone unless timeZone is set)')

const workload = (replicas: number, r: ReturnType<typeof res>) =>
  z
    .strictObject({
      replicas: z.int().min(0).default(replicas),
      resources: resources.default(r),
    })
    .default({ replicas, resources: r })

const connector = (schedule: string) =>
  z
    .strictObject({
      enabled: z.boolean().default(false).describe('a CronJob pulls this connector on `schedule`'),
      schedule: cron.default(schedule),
      secret: name
        .optional()
        .describe('Secret holding this connector’s credentials under their environment variable names'),
    })
    .default({ enabled: false, schedule })

/** Jira and Linear also push: their ingest service takes the webhooks (pulls stay the CronJob's) */
const pushingConnector = (schedule: string) =>
  z
    .strictObject({
      enabled: z.boolean().default(false).describe('a CronJob pulls this connector on `schedule`'),
      schedule: cron.default(schedule),
      secret: name
        .optional()
        .describe('Secret holding this connector’s credentials under their environment variable names'),
      webhooks: z
        .boolean()
        .default(false)
        .describe(
          'a Deployment and Service of the ingest service for the vendor’s webhooks (its webhook secret in `secret`)',
        ),
    })
    .default({ enabled: false, schedule, webhooks: false })

export const valuesSchema = z
  .strictObject({
    namespace: name.default('orgpulse'),
    image: z
      .strictObject({
        repository: z.string().min(1).default('ghcr.io/example/orgpulse'),
        tag: z
          .string()
          .regex(/^[\w][\w.-]{0,127}$/, 'must be an image tag')
          .default('0.1.0')
          .describe('image tag; also names the migration Job, so each upgrade runs its own'),
        pullPolicy: z.enum(['Always', 'IfNotPresent', 'Never']).default('IfNotPresent'),
      })
      .default({ repository: 'ghcr.io/example/orgpulse', tag: '0.1.0', pullPolicy: 'IfNotPresent' }),
    orgpulseYaml: z
      .string()
      .default('')
      .describe('orgpulse.yaml (no secrets in it), mounted from a ConfigMap at /etc/orgpulse/orgpulse.yaml'),
    logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error']).default('info'),
    kafka: z
      .strictObject({
        brokers: z
          .string()
          .default('kafka:9092')
          .describe('bootstrap servers, host:port[,host:port] (the bundled Kafka is `kafka:9092`)'),
        topicPrefix: z.string().optional().describe('ORGPULSE_TOPIC_PREFIX'),
        partitions: z
          .int()
          .min(1)
          .default(6)
          .describe(
            'partitions of the raw and canonical topics: the most transformer/sink replicas that do work',
          ),
      })
      .default({ brokers: 'kafka:9092', partitions: 6 }),
    clickhouse: z
      .strictObject({
        url: secretKey
          .default({ name: 'orgpulse-clickhouse', key: 'url' })
          .describe(
            'CLICKHOUSE_URL with the full-access user’s credentials, e.g. http://orgpulse:…@clickhouse:8123',
          ),
        database: z.string().default('orgpulse'),
        grafanaAdminPassword: secretKey
          .optional()
          .describe(
            'CLICKHOUSE_GRAFANA_ADMIN_PASSWORD for `orgpulse clickhouse access` (read-only user of Main Org)',
          ),
      })
      .default({ url: { name: 'orgpulse-clickhouse', key: 'url' }, database: 'orgpulse' }),
    api: z
      .strictObject({
        replicas: z.int().min(0).default(2),
        resources: resources.default(res('250m', '384Mi', '1Gi')),
        publicUrl: z.string().optional().describe('ORGPULSE_API_PUBLIC_URL'),
        trustProxy: z
          .string()
          .optional()
          .describe('ORGPULSE_API_TRUST_PROXY, e.g. the ingress controller’s CIDR'),
      })
      .default({ replicas: 2, resources: res('250m', '384Mi', '1Gi') }),
    transformer: workload(6, res('250m', '256Mi', '768Mi')).describe(
      'raw topics → canonical events; replicas beyond kafka.partitions stay idle',
    ),
    sink: workload(3, res('250m', '384Mi', '1Gi')).describe('canonical events and dead letters → ClickHouse'),
    connectors: z
      .strictObject({
        jira: pushingConnector('*/15 * * * *'),
        linear: pushingConnector('*/15 * * * *'),
        calendar: connector('7,22,37,52 * * * *'),
      })
      .default({
        jira: { enabled: false, schedule: '*/15 * * * *', webhooks: false },
        linear: { enabled: false, schedule: '*/15 * * * *', webhooks: false },
        calendar: { enabled: false, schedule: '7,22,37,52 * * * *' },
      }),
    digest: z
      .strictObject({
        enabled: z.boolean().default(true).describe('`orgpulse digest send --due` on `schedule`'),
        schedule: cron.default('5 * * * *'),
        secret: name
          .optional()
          .describe('Secret with the digest destinations’ variables (webhook URLs, SMTP)'),
      })
      .default({ enabled: true, schedule: '5 * * * *' }),
    exports: z
      .strictObject({
        schedule: cron.default('0 6 1 1,4,7,10 *'),
        volumeClaim: name
          .optional()
          .describe('PersistentVolumeClaim the files are written to (required with orgs)'),
        format: z.enum(['csv', 'json', 'parquet', 'review-zip', 'xlsx']).default('review-zip'),
        orgs: z.array(z.email()).default([]).describe('directors whose previous quarter is exported'),
      })
      .refine((e) => e.orgs.length === 0 || e.volumeClaim !== undefined, {
        message: 'exports.volumeClaim is required when exports.orgs is not empty',
      })
      .default({ schedule: '0 6 1 1,4,7,10 *', format: 'review-zip', orgs: [] }),
    timeZone: z.string().optional().describe('CronJob time zone (IANA), e.g. Europe/Berlin'),
    bundled: z
      .strictObject({
        kafka: z.boolean().default(false),
        clickhouse: z.boolean().default(false),
        grafana: z.boolean().default(false),
      })
      .default({ kafka: false, clickhouse: false, grafana: false })
      .describe(
        'single-node Kafka, ClickHouse and Grafana StatefulSets for a trial; off by default: bring your own (managed or operator-run) for production',
      ),
  })
  .describe('orgpulse Kubernetes values (infra/k8s/values.yaml)')

export type Values = z.output<typeof valuesSchema>
export type ValuesInput = z.input<typeof valuesSchema>

/** the values file as JSON Schema (the input side: every defaulted key optional) */
export function valuesJsonSchema(): unknown {
  return z.toJSONSchema(valuesSchema, { io: 'input', target: 'draft-2020-12' })
}
