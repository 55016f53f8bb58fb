import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { OrgpulseConfig } from '@orgpulse/contracts'
import { grafanaDashboards } from './grafana.ts'
import { provisioningFiles } from './provisioning.ts'
import { stableJson } from './stable-json.ts'

/** the dashboards package directory (generated/ and provisioning/ live under it) */
export const DASHBOARDS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..')

/**
 * Everything `orgpulse dashboards build` writes, as path (relative to dashboards/) → bytes.
 * Committed files are the template flavour (a `director` variable): the same JSON serves any
 * deployment, where files generated for the demo company would name people who do not exist.
 */
export function buildArtifacts(config: OrgpulseConfig): Map<string, string> {
  const out = new Map<string, string>()
  for (const { spec, dashboard } of grafanaDashboards(config))
    out.set(`generated/orgpulse-${spec.key}.json`, stableJson(dashboard))
  for (const [path, text] of Object.entries(provisioningFiles(config))) out.set(`provisioning/${path}`, text)
  return new Map([...out].sort(([a], [b]) => a.localeCompare(b)))
}

export interface BuildReport {
  written: string[]
  unchanged: string[]
  removed: string[]
}

/** generated files of ours that the current catalog no longer produces */
function orphans(root: string, expected: Map<string, string>): string[] {
  const dir = join(root, 'generated')
  if (!existsSync(dir)) return []
  return readdirSync(dir)
    .filter((f) => f.startsWith('orgpulse-') && f.endsWith('.json'))
    .map((f) => `generated/${f}`)
    .filter((p) => !expected.has(p))
}

export function writeArtifacts(config: OrgpulseConfig, root = DASHBOARDS_DIR): BuildReport {
  const artifacts = buildArtifacts(config)
  const report: BuildReport = { written: [], unchanged: [], removed: [] }
  for (const [path, text] of artifacts) {
    const file = join(root, path)
    if (existsSync(file) && readFileSync(file, 'utf8') === text) {
      report.unchanged.push(path)
      continue
    }
    mkdirSync(dirname(file), { recursive: true })
    writeFileSync(file, text)
    report.written.push(path)
  }
  for (const path of orphans(root, artifacts)) {
    rmSync(join(root, path))
    report.removed.push(path)
  }
  return report
}

/** paths whose committed bytes differ from a fresh build (missing, changed or orphaned) */
export function staleArtifacts(config: OrgpulseConfig, root = DASHBOARDS_DIR): string[] {
  const artifacts = buildArtifacts(config)
  const stale: string[] = []
  for (const [path, text] of artifacts) {
    const file = join(root, path)
    if (!existsSync(file) || readFileSync(file, 'utf8') !== text) stale.push(path)
  }
  return [...stale, ...orphans(root, artifacts)]
}
