import { execFileSync } from 'node:child_process'
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Ajv2020 } from 'ajv/dist/2020.js'
import * as apps from 'kubernetes-models/apps/v1'
import * as batch from 'kubernetes-models/batch/v1'
import * as policy from 'kubernetes-models/policy/v1'
import * as core from 'kubernetes-models/v1'
import { afterAll, describe, expect, it } from 'vitest'
import { parseAllDocuments } from 'yaml'
import { generate, K8S_DIR, readValues, stale } from '../../infra/k8s/generator/main.ts'
import { migrateJobName, render } from '../../infra/k8s/generator/render.ts'
import { type Values, valuesSchema } from '../../infra/k8s/generator/values.ts'
import { ROOT } from '../setup/cli.ts'

/**
 * The Kubernetes manifests without a cluster: the committed infra/k8s/ is what the generator
 * makes of values.yaml, every object (also with every option on) is valid against the
 * Kubernetes schemas (kubernetes-models' validate()), and the rules: Secrets only by reference,
 * non-root read-only containers, probes on the ports served, resources, one consumer per partition.
 */

// biome-ignore lint/suspicious/noExplicitAny: manifests are checked by the Kubernetes schemas first, then read loosely
type Obj = any
type ModelClass = new (data: Obj) => { validate(): void }
const MODELS = new Map<string, ModelClass>()
for (const [group, mod] of [
  ['v1', core],
  ['apps/v1', apps],
  ['batch/v1', batch],
  ['policy/v1', policy],
] as const)
  for (const [kind, cls] of Object.entries(mod)) MODELS.set(`${group}/${kind}`, cls as unknown as ModelClass)

/** validates one manifest object with the kubernetes-models class of its apiVersion and kind */
function validateObject(o: Obj): void {
  const cls = MODELS.get(`${o.apiVersion}/${o.kind}`)
  if (!cls) throw new Error(`no Kubernetes model for ${o.apiVersion} ${o.kind}`)
  new cls(o).validate()
}

const MANIFESTS = join(K8S_DIR, 'manifests')
const committed = (): { file: string; objects: Obj[] }[] =>
  readdirSync(MANIFESTS)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((file) => ({
      file,
      objects: parseAllDocuments(readFileSync(join(MANIFESTS, file), 'utf8'))
        .map((d) => d.toJS())
        .filter((o) => o !== null),
    }))

const everyOption: Values = valuesSchema.parse({
  ...readValues(join(K8S_DIR, 'values.yaml')),
  kafka: { brokers: 'kafka:9092', partitions: 4, topicPrefix: 'acme.' },
  transformer: { replicas: 6 },
  api: { replicas: 1, publicUrl: 'https://orgpulse.example.com', trustProxy: '10.0.0.0/8' },
  digest: { enabled: true, schedule: '5 * * * *', secret: 'orgpulse-digest' },
  clickhouse: {
    url: { name: 'ch', key: 'url' },
    database: 'orgpulse',
    grafanaAdminPassword: { name: 'ch', key: 'g' },
  },
  connectors: {
    jira: { enabled: true, schedule: '*/15 * * * *', webhooks: true },
    linear: { enabled: true, schedule: '*/15 * * * *', webhooks: true, secret: 'linear-credentials' },
    calendar: { enabled: false, schedule: '0 * * * *' },
  },
  timeZone: 'Europe/Berlin',
  bundled: { kafka: true, clickhouse: true, grafana: true },
})
const rendered = (v: Values) =>
  render(v, { dashboardsDir: join(ROOT, 'dashboards') }).map((f) => ({
    file: f.file,
    objects: f.objects.map((o) => o.toJSON() as Obj),
  }))

const pods = (objects: Obj[]): { owner: string; spec: Obj }[] =>
  objects.flatMap((o) => {
    const spec = o.kind === 'CronJob' ? o.spec.jobTemplate.spec.template.spec : o.spec?.template?.spec
    return spec ? [{ owner: `${o.kind}/${o.metadata.name}`, spec }] : []
  })
const ORGPULSE_IMAGE = 'ghcr.io/example/orgpulse:0.1.0'

describe('infra/k8s', () => {
  it('is what `pnpm k8s` generates from values.yaml (manifests and values.schema.json)', () => {
    const expected = generate(readValues(join(K8S_DIR, 'values.yaml')), MANIFESTS)
    expect(stale(expected, MANIFESTS)).toEqual([])
    expect([...expected.keys()].filter((p) => p.startsWith(MANIFESTS)).length).toBe(
      readdirSync(MANIFESTS).length,
    )
  })

  it('every committed object, and every object with all options on, is valid against the Kubernetes schemas', () => {
    const all = [...committed(), ...rendered(everyOption)]
    let n = 0
    for (const { file, objects } of all)
      for (const o of objects) {
        expect(() => validateObject(o), `${file}: ${o.kind} ${o.metadata?.name}`).not.toThrow()
        n += 1
      }
    // committed: Namespace, ServiceAccount, ConfigMap, Job, api Deployment + Service + PDB,
    // transformer, sink, Jira webhooks Deployment + Service, 3 connector CronJobs, digest,
    // exports = 16; every option: the same without the PDB (1 api replica) and the calendar
    // CronJob, plus Linear webhooks 2, Kafka 2, ClickHouse 3, Grafana 4 = 25
    expect(n).toBe(16 + 25)
  })

  it('the validation is not vacuous: a wrong type, a missing required field and an unknown enum value are refused', () => {
    const job = committed().find((f) => f.file === '10-migrate-job.yaml')!.objects[0]
    const wrongType = structuredClone(job)
    wrongType.spec.backoffLimit = 'four'
    expect(() => validateObject(wrongType)).toThrow(/backoffLimit/)
    const noImage = structuredClone(job)
    delete noImage.spec.template.spec.containers[0].name
    expect(() => validateObject(noImage)).toThrow(/name/)
    const badPolicy = structuredClone(job)
    badPolicy.spec.template.spec.restartPolicy = 'Sometimes'
    expect(() => validateObject(badPolicy)).toThrow(/restartPolicy/)
  })

  it('holds no Secret and no credential: every secret variable is a secretKeyRef', () => {
    for (const { file, objects } of [...committed(), ...rendered(everyOption)]) {
      expect(
        objects.filter((o) => o.kind === 'Secret'),
        file,
      ).toEqual([])
      for (const { owner, spec } of pods(objects))
        for (const c of spec.containers)
          for (const e of c.env ?? []) {
            if (/PASSWORD|SECRET|TOKEN|KEY$|PAT$|CLICKHOUSE_URL/.test(e.name)) {
              expect(e.value, `${owner} ${e.name}`).toBeUndefined()
              expect(e.valueFrom?.secretKeyRef?.name, `${owner} ${e.name}`).toBeTruthy()
            }
            expect(String(e.value ?? ''), `${owner} ${e.name}`).not.toMatch(/:\/\/[^/]*:[^/]*@/)
          }
    }
  })

  it('runs every pod as non-root, without privilege escalation or capabilities; orgpulse read-only as uid 1000', () => {
    for (const { owner, spec } of [...committed(), ...rendered(everyOption)].flatMap((f) =>
      pods(f.objects),
    )) {
      expect(spec.securityContext.runAsNonRoot, owner).toBe(true)
      expect(spec.securityContext.runAsUser, owner).toBeGreaterThan(0)
      expect(spec.automountServiceAccountToken, owner).toBe(false)
      for (const c of spec.containers) {
        expect(c.securityContext.allowPrivilegeEscalation, owner).toBe(false)
        expect(c.securityContext.capabilities.drop, owner).toEqual(['ALL'])
        expect(
          c.resources.requests.cpu && c.resources.requests.memory && c.resources.limits.memory,
          owner,
        ).toBeTruthy()
        if (c.image !== ORGPULSE_IMAGE) continue
        expect(c.securityContext, owner).toMatchObject({ runAsUser: 1000, readOnlyRootFilesystem: true })
        // only the ConfigMap, /tmp and /data (emptyDir) are mounted: no host path, no code
        expect(
          spec.volumes.every((v: Obj) => v.configMap || v.emptyDir || v.persistentVolumeClaim),
          owner,
        ).toBe(true)
      }
    }
  })

  it('runs api, transformer, sink (and the Jira webhooks) as Deployments of the one image, probed on the port they serve', () => {
    const objects = committed().flatMap((f) => f.objects)
    const deployments = objects.filter((o) => o.kind === 'Deployment')
    expect(deployments.map((d) => d.metadata.name).sort()).toEqual([
      'orgpulse-api',
      'orgpulse-ingest-jira',
      'orgpulse-sink',
      'orgpulse-transformer',
    ])
    const byName = Object.fromEntries(deployments.map((d) => [d.metadata.name, d]))
    // values.yaml: api 2, transformer 6 (= kafka.partitions), sink 3
    expect(byName['orgpulse-api'].spec.replicas).toBe(2)
    expect(byName['orgpulse-transformer'].spec.replicas).toBe(6)
    expect(byName['orgpulse-sink'].spec.replicas).toBe(3)
    const env = (d: Obj) =>
      Object.fromEntries(d.spec.template.spec.containers[0].env.map((e: Obj) => [e.name, e.value]))
    expect(env(byName['orgpulse-transformer']).ORGPULSE_STAGES).toBe('transformer')
    expect(env(byName['orgpulse-sink']).ORGPULSE_STAGES).toBe('sink,dlq')
    for (const d of deployments) {
      const c = d.spec.template.spec.containers[0]
      expect(c.image).toBe(ORGPULSE_IMAGE)
      const service = /^services\/([\w-]+)\/dist\/main\.js$/.exec(c.command[1])?.[1]
      expect(readdirSync(join(ROOT, 'services', service!, 'src'))).toContain('main.ts')
      const port = c.ports[0]
      expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port: port.name })
      expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: port.name })
      const e = env(d)
      expect(Number(e.PORT ?? e.ORGPULSE_METRICS_PORT)).toBe(port.containerPort)
      expect(d.spec.selector.matchLabels).toEqual({
        'app.kubernetes.io/name': 'orgpulse',
        'app.kubernetes.io/component': d.metadata.name.slice('orgpulse-'.length),
      })
    }
    // more transformer replicas than partitions would idle: capped at kafka.partitions (4)
    const capped = rendered(everyOption)
      .flatMap((f) => f.objects)
      .find((o) => o.metadata.name === 'orgpulse-transformer')
    expect(capped.spec.replicas).toBe(4)
    // the bundled services are off by default
    expect(objects.filter((o) => o.kind === 'StatefulSet')).toEqual([])
  })

  it('takes Jira webhooks in a Deployment that never pulls, its secret by reference', () => {
    const jira = committed().find((f) => f.file === '20-ingest-jira.yaml')!.objects
    const c = jira[0].spec.template.spec.containers[0]
    expect(c.command).toEqual(['node', 'services/ingest-jira/dist/main.js'])
    const env = Object.fromEntries(c.env.map((e: Obj) => [e.name, e.value ?? e.valueFrom.secretKeyRef]))
    expect(env).toMatchObject({
      PORT: '8082',
      ORGPULSE_PULL_EVERY: '0',
      JIRA_WEBHOOK_SECRET: { name: 'orgpulse-jira', key: 'JIRA_WEBHOOK_SECRET', optional: true },
    })
    expect(jira[1].spec.ports).toEqual([{ name: 'http', port: 8082, targetPort: 'http' }])
    const linear = rendered(everyOption).find((f) => f.file === '20-ingest-linear.yaml')!.objects[0]
    const lenv = linear.spec.template.spec.containers[0].env.find(
      (e: Obj) => e.name === 'LINEAR_WEBHOOK_SECRET',
    )
    expect(lenv.valueFrom.secretKeyRef).toEqual({
      name: 'linear-credentials',
      key: 'LINEAR_WEBHOOK_SECRET',
      optional: true,
    })
  })

  it('runs migrations as a Job named after the image tag, before the Deployments (file order)', () => {
    const files = committed().map((f) => f.file)
    expect(files.indexOf('10-migrate-job.yaml')).toBeLessThan(files.indexOf('20-api.yaml'))
    const job = committed().find((f) => f.file === '10-migrate-job.yaml')!.objects[0]
    expect(job.metadata.name).toBe('orgpulse-migrate-0-1-0')
    expect(job.spec.template.spec.containers[0].command).toEqual(['orgpulse', 'migrate'])
    expect(job.spec.template.spec.restartPolicy).toBe('Never')
    expect(migrateJobName('1.2.3_RC.1')).toBe('orgpulse-migrate-1-2-3-rc-1')
  })

  it('schedules connector pulls, digests and exports as CronJobs that never overlap', () => {
    const cron = committed()
      .flatMap((f) => f.objects)
      .filter((o) => o.kind === 'CronJob')
    const commands = Object.fromEntries(
      cron.map((c) => [c.metadata.name, c.spec.jobTemplate.spec.template.spec.containers[0].command]),
    )
    expect(commands).toMatchObject({
      'orgpulse-ingest-jira': ['orgpulse', 'ingest', 'jira'],
      'orgpulse-ingest-linear': ['orgpulse', 'ingest', 'linear'],
      'orgpulse-ingest-calendar': ['orgpulse', 'ingest', 'calendar'],
      'orgpulse-digest': ['orgpulse', 'digest', 'send', '--due'],
    })
    expect(commands['orgpulse-exports'].slice(0, 2)).toEqual(['sh', '-c'])
    expect(Object.keys(commands)).toHaveLength(5)
    for (const c of cron) expect(c.spec.concurrencyPolicy, c.metadata.name).toBe('Forbid')
    const jira = cron.find((c) => c.metadata.name === 'orgpulse-ingest-jira')
    const refs = jira.spec.jobTemplate.spec.template.spec.containers[0].env
      .filter((e: Obj) => e.valueFrom)
      .map((e: Obj) => [e.name, e.valueFrom.secretKeyRef])
    expect(refs).toEqual([
      ['CLICKHOUSE_URL', { name: 'orgpulse-clickhouse', key: 'url' }],
      ['JIRA_BASE_URL', { name: 'orgpulse-jira', key: 'JIRA_BASE_URL', optional: true }],
      ['JIRA_EMAIL', { name: 'orgpulse-jira', key: 'JIRA_EMAIL', optional: true }],
      ['JIRA_API_TOKEN', { name: 'orgpulse-jira', key: 'JIRA_API_TOKEN', optional: true }],
      ['JIRA_PAT', { name: 'orgpulse-jira', key: 'JIRA_PAT', optional: true }],
    ])
  })

  describe('the exports CronJob script', () => {
    const dir = mkdtempSync(join(tmpdir(), 'orgpulse-k8s-exports-'))
    afterAll(() => rmSync(dir, { recursive: true, force: true }))
    const script = (): string =>
      committed()
        .flatMap((f) => f.objects)
        .find((o) => o.metadata.name === 'orgpulse-exports').spec.jobTemplate.spec.template.spec.containers[0]
        .command[2]
    /** runs the script with a stand-in `orgpulse` that records its arguments, `date` answering `today` */
    function exportCalls(today: { year: number; month: number } | null): string {
      const bin = mkdtempSync(join(dir, 'bin-'))
      writeFileSync(join(bin, 'orgpulse'), `#!/bin/sh\necho "$@" >> "${bin}/calls"\n`)
      chmodSync(join(bin, 'orgpulse'), 0o755)
      if (today) {
        writeFileSync(
          join(bin, 'date'),
          `#!/bin/sh\ncase "$2" in +%Y) echo ${today.year};; +%-m) echo ${today.month};; *) exit 1;; esac\n`,
        )
        chmodSync(join(bin, 'date'), 0o755)
      }
      // /exports moved under the temp dir
      execFileSync('sh', ['-c', script().replaceAll('/exports', `${bin}/exports`)], {
        env: { PATH: `${bin}:${process.env.PATH}` },
      })
      return readFileSync(join(bin, 'calls'), 'utf8').replaceAll(bin, 'BIN')
    }
    const call = (quarter: string) =>
      `export quarterly --org dana@example.com --quarter ${quarter} --format review-zip --out BIN/exports/${quarter}/dana@example.com.zip\n`

    it('exports the quarter that ended before today, per org, into /exports/<quarter>/', () => {
      expect(exportCalls({ year: 2027, month: 1 })).toBe(call('2026-Q4'))
      expect(exportCalls({ year: 2026, month: 10 })).toBe(call('2026-Q3'))
      expect(exportCalls({ year: 2026, month: 4 })).toBe(call('2026-Q1'))
      expect(exportCalls({ year: 2026, month: 12 })).toBe(call('2026-Q3'))
      // and with the system's date
      const now = new Date()
      const q = Math.floor(now.getUTCMonth() / 3)
      expect(exportCalls(null)).toBe(
        call(q === 0 ? `${now.getUTCFullYear() - 1}-Q4` : `${now.getUTCFullYear()}-Q${q}`),
      )
    })
  })

  describe('values', () => {
    const dir = mkdtempSync(join(tmpdir(), 'orgpulse-k8s-values-'))
    afterAll(() => rmSync(dir, { recursive: true, force: true }))
    const write = (text: string) => {
      const f = join(dir, `v${Math.random().toString(36).slice(2)}.yaml`)
      writeFileSync(f, text)
      return f
    }

    it('refuses unknown keys and an exports list without a volume, naming the key', () => {
      expect(() => readValues(write('api: { replicaz: 3 }\n'))).toThrow(/api: Unrecognized key: "replicaz"/)
      expect(() => readValues(write('exports: { orgs: [a@b.io] }\n'))).toThrow(
        /exports: exports.volumeClaim is required/,
      )
      expect(() => readValues(write('clickhouse: { url: { name: Bad_Name, key: url } }\n'))).toThrow(
        /clickhouse.url.name/,
      )
    })

    it('values.yaml is valid against the generated values.schema.json, which refuses what the zod schema refuses', () => {
      const ajv = new Ajv2020({ strict: false, allErrors: true, formats: { email: /^[^\s@]+@[^\s@]+$/ } })
      const validate = ajv.compile(JSON.parse(readFileSync(join(K8S_DIR, 'values.schema.json'), 'utf8')))
      const values = parseAllDocuments(readFileSync(join(K8S_DIR, 'values.yaml'), 'utf8'))[0]!.toJS()
      expect(validate(values), JSON.stringify(validate.errors)).toBe(true)
      expect(validate({ ...values, api: { replicaz: 3 } })).toBe(false)
      expect(validate({ ...values, image: { tag: 'has space' } })).toBe(false)
    })
  })
})
