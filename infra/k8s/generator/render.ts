/**
 * Kubernetes objects for orgpulse from typed values (values.ts): one image for every workload,
 * Secrets only by reference, non-root and read-only containers. Pure: the same values give the
 * same objects, in the same order (main.ts writes them; the suite validates and compares them).
 */
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Deployment, StatefulSet } from 'kubernetes-models/apps/v1'
import { CronJob, Job } from 'kubernetes-models/batch/v1'
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1'
import {
  ConfigMap,
  type IContainer,
  type IEnvVar,
  type IPodSpec,
  type IProbe,
  type IVolume,
  type IVolumeMount,
  Namespace,
  Service,
  ServiceAccount,
} from 'kubernetes-models/v1'
import type { Values } from './values.ts'

/** a kubernetes-models object: typed when built, checked against the Kubernetes schema by validate() */
export interface Model {
  apiVersion: string
  kind: string
  validate(): void
  toJSON(): unknown
}

/** one generated file: its name under infra/k8s/manifests/, what it is for, its objects in apply order */
export interface ManifestFile {
  file: string
  comment: string
  objects: Model[]
}

const UID = 1000 // the `node` user of node:20-bookworm-slim, which the image runs as
const CONFIG_PATH = '/etc/orgpulse/orgpulse.yaml'
const METRICS_PORT = 9464

/** a DNS-1123 name from an image tag (dots and underscores are not allowed in names) */
export const migrateJobName = (tag: string): string =>
  `orgpulse-migrate-${tag.toLowerCase().replace(/[^a-z0-9-]/g, '-')}`.slice(0, 63).replace(/-+$/, '')

export function render(values: Values, opts: { dashboardsDir: string }): ManifestFile[] {
  const ns = values.namespace
  const image = `${values.image.repository}:${values.image.tag}`
  const configHash = createHash('sha256').update(values.orgpulseYaml).digest('hex').slice(0, 16)

  const labels = (component: string) => ({
    'app.kubernetes.io/name': 'orgpulse',
    'app.kubernetes.io/component': component,
    'app.kubernetes.io/part-of': 'orgpulse',
    'app.kubernetes.io/version': values.image.tag,
    'app.kubernetes.io/managed-by': 'orgpulse-k8s-generator',
  })
  // selectors are immutable: never the version
  const selector = (component: string) => ({
    'app.kubernetes.io/name': 'orgpulse',
    'app.kubernetes.io/component': component,
  })
  const meta = (name: string, component: string) => ({ name, namespace: ns, labels: labels(component) })

  const secretEnv = (name: string, ref: { name: string; key: string }, optional = false): IEnvVar => ({
    name,
    valueFrom: { secretKeyRef: { name: ref.name, key: ref.key, ...(optional ? { optional: true } : {}) } },
  })
  const baseEnv = (): IEnvVar[] => [
    { name: 'KAFKA_BROKERS', value: values.kafka.brokers },
    ...(values.kafka.topicPrefix ? [{ name: 'ORGPULSE_TOPIC_PREFIX', value: values.kafka.topicPrefix }] : []),
    secretEnv('CLICKHOUSE_URL', values.clickhouse.url),
    { name: 'CLICKHOUSE_DATABASE', value: values.clickhouse.database },
    { name: 'ORGPULSE_CONFIG', value: CONFIG_PATH },
    { name: 'ORGPULSE_DATA_DIR', value: '/data' },
    { name: 'LOG_LEVEL', value: values.logLevel },
    { name: 'HOST', value: '0.0.0.0' },
  ]

  const volumes: IVolume[] = [
    { name: 'config', configMap: { name: 'orgpulse-config' } },
    // the root file system is read-only: scratch space for node and the CLI
    { name: 'tmp', emptyDir: { sizeLimit: '256Mi' } },
    { name: 'data', emptyDir: { sizeLimit: '256Mi' } },
  ]
  const mounts: IVolumeMount[] = [
    { name: 'config', mountPath: '/etc/orgpulse', readOnly: true },
    { name: 'tmp', mountPath: '/tmp' },
    { name: 'data', mountPath: '/data' },
  ]
  const containerSecurity = {
    runAsNonRoot: true,
    runAsUser: UID,
    runAsGroup: UID,
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ['ALL'] },
  }
  const podSpec = (
    containers: IContainer[],
    extra: Partial<IPodSpec> = {},
    extraVolumes: IVolume[] = [],
  ): IPodSpec => ({
    serviceAccountName: 'orgpulse',
    automountServiceAccountToken: false,
    securityContext: {
      runAsNonRoot: true,
      runAsUser: UID,
      runAsGroup: UID,
      fsGroup: UID,
      seccompProfile: { type: 'RuntimeDefault' },
    },
    containers,
    volumes: [...volumes, ...extraVolumes],
    ...extra,
  })
  const container = (
    name: string,
    command: string[],
    env: IEnvVar[],
    resources: Values['api']['resources'],
    extra: Partial<IContainer> = {},
  ): IContainer => ({
    name,
    image,
    imagePullPolicy: values.image.pullPolicy,
    command,
    env: [...baseEnv(), ...env],
    resources,
    securityContext: containerSecurity,
    volumeMounts: [...mounts, ...(extra.volumeMounts ?? [])],
    ...Object.fromEntries(Object.entries(extra).filter(([k]) => k !== 'volumeMounts')),
  })
  const httpProbe = (
    path: string,
    port: string,
    periodSeconds: number,
    failureThreshold: number,
  ): IProbe => ({
    httpGet: { path, port },
    periodSeconds,
    timeoutSeconds: 5,
    failureThreshold,
  })
  /** startup gives a slow first connection to Kafka (ensureTopics waits up to 3 minutes) room */
  const probes = (port: string) => ({
    startupProbe: httpProbe('/healthz', port, 5, 40),
    livenessProbe: httpProbe('/healthz', port, 15, 4),
    readinessProbe: httpProbe('/readyz', port, 10, 3),
  })
  const podAnnotations = { 'orgpulse.dev/config-sha256': configHash }

  const deployment = (
    component: string,
    replicas: number,
    c: IContainer,
    comment: string,
    strategy?: { maxUnavailable: number; maxSurge: number },
  ) =>
    new Deployment({
      metadata: {
        ...meta(`orgpulse-${component}`, component),
        annotations: { 'orgpulse.dev/note': comment },
      },
      spec: {
        replicas,
        selector: { matchLabels: selector(component) },
        ...(strategy ? { strategy: { type: 'RollingUpdate', rollingUpdate: strategy } } : {}),
        template: {
          metadata: { labels: labels(component), annotations: podAnnotations },
          spec: podSpec([c], { terminationGracePeriodSeconds: 45 }),
        },
      },
    })

  const files: ManifestFile[] = []

  files.push({
    file: '00-namespace.yaml',
    comment: 'Namespace, the service account every pod runs as (no API token mounted), orgpulse.yaml',
    objects: [
      new Namespace({ metadata: { name: ns, labels: labels('namespace') } }),
      new ServiceAccount({
        metadata: meta('orgpulse', 'service-account'),
        automountServiceAccountToken: false,
      }),
      new ConfigMap({
        metadata: meta('orgpulse-config', 'config'),
        data: { 'orgpulse.yaml': values.orgpulseYaml },
      }),
    ],
  })

  files.push(...bundled(values, { ns, labels, selector, meta, dashboardsDir: opts.dashboardsDir }))

  files.push({
    file: '10-migrate-job.yaml',
    comment:
      'Apply first on every install and upgrade, and wait for it to complete before applying 20-*.yaml: ' +
      `kubectl apply -f 10-migrate-job.yaml && kubectl -n ${ns} wait --for=condition=complete --timeout=15m job/${migrateJobName(values.image.tag)}. ` +
      'The Job is named after the image tag, so each upgrade runs its own; migrations are idempotent (applied once each, checksummed).',
    objects: [
      new Job({
        metadata: meta(migrateJobName(values.image.tag), 'migrate'),
        spec: {
          backoffLimit: 4,
          activeDeadlineSeconds: 900,
          ttlSecondsAfterFinished: 7 * 24 * 3600,
          template: {
            metadata: { labels: labels('migrate') },
            spec: podSpec([container('migrate', ['orgpulse', 'migrate'], [], values.sink.resources)], {
              restartPolicy: 'Never',
            }),
          },
        },
      }),
    ],
  })

  const api = values.api
  files.push({
    file: '20-api.yaml',
    comment:
      'The api (REST, pages, /v1/decisions) and the rollup refresher; expose the Service through your ingress',
    objects: [
      deployment(
        'api',
        api.replicas,
        container(
          'api',
          ['node', 'services/api/dist/main.js'],
          [
            { name: 'PORT', value: '3000' },
            ...(api.publicUrl ? [{ name: 'ORGPULSE_API_PUBLIC_URL', value: api.publicUrl }] : []),
            ...(api.trustProxy ? [{ name: 'ORGPULSE_API_TRUST_PROXY', value: api.trustProxy }] : []),
          ],
          api.resources,
          { ports: [{ name: 'http', containerPort: 3000 }], ...probes('http') },
        ),
        'every replica refreshes the rollups each minute (idempotent: ReplacingMergeTree)',
        { maxUnavailable: 0, maxSurge: 1 },
      ),
      new Service({
        metadata: meta('orgpulse-api', 'api'),
        spec: { selector: selector('api'), ports: [{ name: 'http', port: 3000, targetPort: 'http' }] },
      }),
      ...(api.replicas > 1
        ? [
            new PodDisruptionBudget({
              metadata: meta('orgpulse-api', 'api'),
              spec: { minAvailable: 1, selector: { matchLabels: selector('api') } },
            }),
          ]
        : []),
    ],
  })

  const lagNote = (topics: string) =>
    `one consumer per partition of ${topics} (kafka.partitions = ${values.kafka.partitions}): replicas beyond it stay idle. ` +
    'For lag-based autoscaling use KEDA’s Kafka scaler (ScaledObject on this Deployment, lagThreshold per replica, ' +
    'maxReplicaCount = partitions) in place of a fixed replica count.'
  for (const [component, stages, topics] of [
    ['transformer', 'transformer', 'the raw topics'],
    ['sink', 'sink,dlq', 'orgpulse.events.v1'],
  ] as const) {
    const w = values[component]
    files.push({
      file: `20-${component}.yaml`,
      comment:
        component === 'transformer'
          ? 'raw topics → canonical events'
          : 'canonical events and dead letters → ClickHouse',
      objects: [
        deployment(
          component,
          Math.min(w.replicas, values.kafka.partitions),
          container(
            component,
            ['node', 'services/transformer/dist/main.js'],
            [
              { name: 'ORGPULSE_STAGES', value: stages },
              { name: 'ORGPULSE_METRICS_PORT', value: String(METRICS_PORT) },
            ],
            w.resources,
            { ports: [{ name: 'metrics', containerPort: METRICS_PORT }], ...probes('metrics') },
          ),
          lagNote(topics),
        ),
      ],
    })
  }

  const CONNECTOR_ENV: Record<keyof Values['connectors'], string[]> = {
    jira: ['JIRA_BASE_URL', 'JIRA_EMAIL', 'JIRA_API_TOKEN', 'JIRA_PAT'],
    linear: ['LINEAR_API_KEY', 'LINEAR_OAUTH_TOKEN'],
    calendar: ['GOOGLE_SERVICE_ACCOUNT_KEY'],
  }
  // the vendors' webhooks: the ingest service of Jira / Linear, pulling never (the CronJob does)
  const WEBHOOK = {
    jira: { port: 8082, secret: 'JIRA_WEBHOOK_SECRET' },
    linear: { port: 8083, secret: 'LINEAR_WEBHOOK_SECRET' },
  }
  for (const source of ['jira', 'linear'] as const) {
    const c = values.connectors[source]
    if (!c.webhooks) continue
    const secret = c.secret ?? `orgpulse-${source}`
    const component = `ingest-${source}`
    const { port, secret: webhookSecret } = WEBHOOK[source]
    files.push({
      file: `20-ingest-${source}.yaml`,
      comment: `${source} webhooks (POST /webhooks/${source}); expose the Service through your ingress`,
      objects: [
        deployment(
          component,
          1,
          container(
            component,
            ['node', `services/ingest-${source}/dist/main.js`],
            [
              { name: 'PORT', value: String(port) },
              { name: 'ORGPULSE_PULL_EVERY', value: '0' },
              ...[...CONNECTOR_ENV[source], webhookSecret].map((v) =>
                secretEnv(v, { name: secret, key: v }, true),
              ),
            ],
            values.sink.resources,
            { ports: [{ name: 'http', containerPort: port }], ...probes('http') },
          ),
          `takes webhooks only: pulls are the CronJob orgpulse-ingest-${source}`,
        ),
        new Service({
          metadata: meta(`orgpulse-${component}`, component),
          spec: { selector: selector(component), ports: [{ name: 'http', port, targetPort: 'http' }] },
        }),
      ],
    })
  }

  const cronJob = (
    name: string,
    component: string,
    schedule: string,
    command: string[],
    env: IEnvVar[],
    extra: { envFrom?: IContainer['envFrom']; volumes?: IVolume[]; mounts?: IVolumeMount[] } = {},
  ) =>
    new CronJob({
      metadata: meta(name, component),
      spec: {
        schedule,
        ...(values.timeZone ? { timeZone: values.timeZone } : {}),
        // a pull still running when the next is due is left to finish: cursors move once
        concurrencyPolicy: 'Forbid',
        startingDeadlineSeconds: 600,
        successfulJobsHistoryLimit: 3,
        failedJobsHistoryLimit: 3,
        jobTemplate: {
          spec: {
            backoffLimit: 2,
            activeDeadlineSeconds: 3600,
            template: {
              metadata: { labels: labels(component), annotations: podAnnotations },
              spec: podSpec(
                [
                  container(component, command, env, values.sink.resources, {
                    ...(extra.envFrom ? { envFrom: extra.envFrom } : {}),
                    volumeMounts: extra.mounts ?? [],
                  }),
                ],
                { restartPolicy: 'Never' },
                extra.volumes ?? [],
              ),
            },
          },
        },
      },
    })

  const jobs: Model[] = []
  for (const source of ['jira', 'linear', 'calendar'] as const) {
    const c = values.connectors[source]
    if (!c.enabled) continue
    const secret = c.secret ?? `orgpulse-${source}`
    jobs.push(
      cronJob(
        `orgpulse-ingest-${source}`,
        `ingest-${source}`,
        c.schedule,
        ['orgpulse', 'ingest', source],
        // optional: the variables orgpulse.yaml does not use may be absent from the Secret
        CONNECTOR_ENV[source].map((v) => secretEnv(v, { name: secret, key: v }, true)),
      ),
    )
  }
  if (values.digest.enabled)
    jobs.push(
      cronJob(
        'orgpulse-digest',
        'digest',
        values.digest.schedule,
        ['orgpulse', 'digest', 'send', '--due'],
        [],
        {
          ...(values.digest.secret ? { envFrom: [{ secretRef: { name: values.digest.secret } }] } : {}),
        },
      ),
    )
  const ex = values.exports
  if (ex.orgs.length > 0 && ex.volumeClaim) {
    const ext = ex.format === 'review-zip' ? 'zip' : ex.format
    // the quarter that ended before today, e.g. 2026-Q3 on 2026-10-01 (computed in the pod: a
    // CronJob has no templating)
    const script = [
      'set -eu',
      'y=$(date -u +%Y); m=$(date -u +%-m); q=$(( (m - 1) / 3 ))',
      'if [ "$q" -eq 0 ]; then y=$((y - 1)); q=4; fi',
      'mkdir -p "/exports/$y-Q$q"',
      `for org in ${ex.orgs.join(' ')}; do`,
      `  orgpulse export quarterly --org "$org" --quarter "$y-Q$q" --format ${ex.format} --out "/exports/$y-Q$q/$org.${ext}"`,
      'done',
    ].join('\n')
    jobs.push(
      cronJob('orgpulse-exports', 'exports', ex.schedule, ['sh', '-c', script], [], {
        volumes: [{ name: 'exports', persistentVolumeClaim: { claimName: ex.volumeClaim } }],
        mounts: [{ name: 'exports', mountPath: '/exports' }],
      }),
    )
  }
  if (jobs.length > 0)
    files.push({
      file: '30-cronjobs.yaml',
      comment:
        'Scheduled runs of the CLI: connector pulls (cursors in ClickHouse: ingest_cursors), the weekly digest (--due: sends once per director and week), quarterly exports',
      objects: jobs,
    })

  return files
}

interface Helpers {
  ns: string
  labels: (component: string) => Record<string, string>
  selector: (component: string) => Record<string, string>
  meta: (
    name: string,
    component: string,
  ) => { name: string; namespace: string; labels: Record<string, string> }
  dashboardsDir: string
}

/**
 * Single-node Kafka, ClickHouse and Grafana for a trial cluster (values.bundled, all off by
 * default): the same images and settings as docker-compose.yml, with persistent volumes. For
 * production, bring your own (a managed service or an operator: Strimzi, Altinity's ClickHouse
 * operator, the Grafana operator).
 */
function bundled(values: Values, h: Helpers): ManifestFile[] {
  const files: ManifestFile[] = []
  const headless = (name: string, port: number) =>
    new Service({
      metadata: h.meta(name, name),
      spec: { selector: h.selector(name), ports: [{ name: 'main', port, targetPort: port }] },
    })
  const pvc = (size: string) => [
    {
      metadata: { name: 'data' },
      spec: { accessModes: ['ReadWriteOnce' as const], resources: { requests: { storage: size } } },
    },
  ]
  const security = (uid: number) => ({
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: uid,
    fsGroup: uid,
    seccompProfile: { type: 'RuntimeDefault' as const },
  })
  const dropAll = { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } }
  if (values.bundled.kafka)
    files.push({
      file: '05-bundled-kafka.yaml',
      comment: 'single-node Kafka (KRaft) for a trial: set kafka.brokers to kafka:9092',
      objects: [
        headless('kafka', 9092),
        new StatefulSet({
          metadata: h.meta('kafka', 'kafka'),
          spec: {
            serviceName: 'kafka',
            replicas: 1,
            selector: { matchLabels: h.selector('kafka') },
            template: {
              metadata: { labels: h.labels('kafka') },
              spec: {
                automountServiceAccountToken: false,
                securityContext: security(1000),
                containers: [
                  {
                    name: 'kafka',
                    image: 'apache/kafka:4.1.1',
                    ports: [{ name: 'main', containerPort: 9092 }],
                    env: Object.entries({
                      KAFKA_NODE_ID: '1',
                      KAFKA_PROCESS_ROLES: 'broker,controller',
                      KAFKA_LISTENERS: 'PLAINTEXT://:9092,CONTROLLER://:9093',
                      KAFKA_ADVERTISED_LISTENERS: `PLAINTEXT://kafka.${h.ns}.svc:9092`,
                      KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
                      KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
                      KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9093',
                      KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
                      KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
                      KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
                      KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false',
                      KAFKA_LOG_DIRS: '/var/lib/kafka/data/logs',
                    }).map(([name, value]) => ({ name, value })),
                    readinessProbe: { tcpSocket: { port: 9092 }, periodSeconds: 10 },
                    livenessProbe: { tcpSocket: { port: 9092 }, periodSeconds: 20, failureThreshold: 6 },
                    resources: { requests: { cpu: '500m', memory: '1Gi' }, limits: { memory: '2Gi' } },
                    securityContext: dropAll,
                    volumeMounts: [{ name: 'data', mountPath: '/var/lib/kafka/data' }],
                  },
                ],
              },
            },
            volumeClaimTemplates: pvc('20Gi'),
          },
        }),
      ],
    })
  if (values.bundled.clickhouse) {
    const configDir = join(h.dashboardsDir, '..', 'infra', 'clickhouse', 'config.d')
    const config = Object.fromEntries(
      readdirSync(configDir)
        .filter((f) => f.endsWith('.xml'))
        .sort()
        .map((f) => [f, readFileSync(join(configDir, f), 'utf8')]),
    )
    files.push({
      file: '05-bundled-clickhouse.yaml',
      comment:
        'single-node ClickHouse for a trial; the Secret orgpulse-clickhouse needs `password` (and `url` = http://orgpulse:<password>@clickhouse:8123)',
      objects: [
        new ConfigMap({ metadata: h.meta('clickhouse-config', 'clickhouse'), data: config }),
        headless('clickhouse', 8123),
        new StatefulSet({
          metadata: h.meta('clickhouse', 'clickhouse'),
          spec: {
            serviceName: 'clickhouse',
            replicas: 1,
            selector: { matchLabels: h.selector('clickhouse') },
            template: {
              metadata: { labels: h.labels('clickhouse') },
              spec: {
                automountServiceAccountToken: false,
                securityContext: security(101),
                containers: [
                  {
                    name: 'clickhouse',
                    image: 'clickhouse/clickhouse-server:26.3',
                    ports: [{ name: 'main', containerPort: 8123 }],
                    env: [
                      { name: 'CLICKHOUSE_DB', value: values.clickhouse.database },
                      { name: 'CLICKHOUSE_USER', value: 'orgpulse' },
                      {
                        name: 'CLICKHOUSE_PASSWORD',
                        valueFrom: { secretKeyRef: { name: values.clickhouse.url.name, key: 'password' } },
                      },
                      { name: 'CLICKHOUSE_DEFAULT_ACCESS_MANAGEMENT', value: '1' },
                    ],
                    readinessProbe: { httpGet: { path: '/ping', port: 8123 }, periodSeconds: 5 },
                    livenessProbe: {
                      httpGet: { path: '/ping', port: 8123 },
                      periodSeconds: 15,
                      failureThreshold: 6,
                    },
                    resources: { requests: { cpu: '1', memory: '4Gi' }, limits: { memory: '8Gi' } },
                    securityContext: dropAll,
                    volumeMounts: [
                      { name: 'data', mountPath: '/var/lib/clickhouse' },
                      ...Object.keys(config).map((f) => ({
                        name: 'config',
                        mountPath: `/etc/clickhouse-server/config.d/${f}`,
                        subPath: f,
                        readOnly: true,
                      })),
                    ],
                  },
                ],
                volumes: [{ name: 'config', configMap: { name: 'clickhouse-config' } }],
              },
            },
            volumeClaimTemplates: pvc('50Gi'),
          },
        }),
      ],
    })
  }
  if (values.bundled.grafana) {
    const read = (sub: string) =>
      readdirSync(join(h.dashboardsDir, sub), { recursive: true, withFileTypes: true })
        .filter((d) => d.isFile())
        .map((d) => join(d.parentPath, d.name).slice(join(h.dashboardsDir, sub).length + 1))
        .sort()
    const provisioning = read('provisioning')
    const dashboards = read('generated').filter((f) => f.endsWith('.json'))
    const key = (path: string) => path.replace(/\//g, '_')
    files.push({
      file: '05-bundled-grafana.yaml',
      comment:
        'Grafana with the ClickHouse plugin and the generated provisioning and dashboards; Secret orgpulse-grafana needs `admin-password` and `clickhouse-grafana-admin-password`',
      objects: [
        new ConfigMap({
          metadata: h.meta('grafana-provisioning', 'grafana'),
          data: Object.fromEntries(
            provisioning.map((f) => [key(f), readFileSync(join(h.dashboardsDir, 'provisioning', f), 'utf8')]),
          ),
        }),
        new ConfigMap({
          metadata: h.meta('grafana-dashboards', 'grafana'),
          data: Object.fromEntries(
            dashboards.map((f) => [f, readFileSync(join(h.dashboardsDir, 'generated', f), 'utf8')]),
          ),
        }),
        headless('grafana', 3000),
        new StatefulSet({
          metadata: h.meta('grafana', 'grafana'),
          spec: {
            serviceName: 'grafana',
            replicas: 1,
            selector: { matchLabels: h.selector('grafana') },
            template: {
              metadata: { labels: h.labels('grafana') },
              spec: {
                automountServiceAccountToken: false,
                securityContext: security(472),
                containers: [
                  {
                    name: 'grafana',
                    image: 'grafana/grafana-oss:12.2.0',
                    ports: [{ name: 'main', containerPort: 3000 }],
                    env: [
                      { name: 'GF_PLUGINS_PREINSTALL', value: 'grafana-clickhouse-datasource@4.10.1' },
                      {
                        name: 'GF_SECURITY_ADMIN_PASSWORD',
                        valueFrom: { secretKeyRef: { name: 'orgpulse-grafana', key: 'admin-password' } },
                      },
                      {
                        name: 'CLICKHOUSE_GRAFANA_ADMIN_PASSWORD',
                        valueFrom: {
                          secretKeyRef: {
                            name: 'orgpulse-grafana',
                            key: 'clickhouse-grafana-admin-password',
                          },
                        },
                      },
                      { name: 'GF_USERS_AUTO_ASSIGN_ORG', value: 'false' },
                      { name: 'GF_USERS_ALLOW_SIGN_UP', value: 'false' },
                      { name: 'GF_USERS_ALLOW_ORG_CREATE', value: 'false' },
                    ],
                    readinessProbe: { httpGet: { path: '/api/health', port: 3000 }, periodSeconds: 10 },
                    livenessProbe: {
                      httpGet: { path: '/api/health', port: 3000 },
                      periodSeconds: 20,
                      failureThreshold: 6,
                    },
                    resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '1Gi' } },
                    securityContext: dropAll,
                    volumeMounts: [
                      { name: 'data', mountPath: '/var/lib/grafana' },
                      ...provisioning.map((f) => ({
                        name: 'provisioning',
                        mountPath: `/etc/grafana/provisioning/${f}`,
                        subPath: key(f),
                        readOnly: true,
                      })),
                      { name: 'dashboards', mountPath: '/var/lib/grafana/dashboards', readOnly: true },
                    ],
                  },
                ],
                volumes: [
                  { name: 'provisioning', configMap: { name: 'grafana-provisioning' } },
                  { name: 'dashboards', configMap: { name: 'grafana-dashboards' } },
                ],
              },
            },
            volumeClaimTemplates: pvc('5Gi'),
          },
        }),
      ],
    })
  }
  return files
}
