import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { resolve } from 'node:path'
import { closest, distance } from 'fastest-levenshtein'
import type * as Yaml from 'yaml'
import type { z } from 'zod'
import { configSchema, type OrgpulseConfig } from './config.ts'
import { OrgpulseError, type OrgpulseErrorOptions } from './errors.ts'
import { formatIssues } from './format-issues.ts'

// yaml is some sixty CommonJS modules (about 45 ms of CPU to load): required by the first config
// read, not by every process that imports this package (`orgpulse --help` reads no config)
const requireHere = createRequire(import.meta.url)
let yaml: typeof Yaml | undefined
const parseYaml = (text: string): unknown => {
  yaml ??= requireHere('yaml') as typeof Yaml
  return yaml.parse(text)
}

export class ConfigError extends OrgpulseError {
  constructor(message: string, options?: OrgpulseErrorOptions) {
    super('config', message, options)
  }
}

/**
 * The chosen file (the caller's `--config`, else its ORGPULSE_CONFIG), else `./orgpulse.yaml` if
 * present, else defaults.
 */
export function configPath(explicit?: string): string | null {
  // an empty flag counts as unset, as an empty variable does
  const chosen = explicit || ''
  const abs = resolve(chosen || 'orgpulse.yaml')
  if (existsSync(abs)) return abs
  if (chosen) throw new ConfigError(`config file not found: ${abs}`)
  return null
}

export function loadConfig(explicit?: string): { config: OrgpulseConfig; path: string | null } {
  const path = configPath(explicit)
  if (!path) return { config: configSchema.parse({}), path: null }
  let raw: unknown
  try {
    raw = parseYaml(readFileSync(path, 'utf8')) ?? {}
  } catch (err) {
    throw new ConfigError(`${path}: not valid YAML: ${(err as Error).message}`)
  }
  return { config: parseConfig(raw, path), path }
}

/**
 * orgpulse.yaml's content, parsed strictly: a key the schema does not know at any level is an
 * error naming the closest known key ("unknown key alerts.centralisationMax: did you mean
 * alerts.centralizationMax?"), never silently ignored. `source` names the file in the error.
 */
export function parseConfig(raw: unknown, source: string): OrgpulseConfig {
  const parsed = configSchema.safeParse(raw)
  if (parsed.success) return parsed.data
  const lines = configIssues(parsed.error).map((line) => `  ${line}`)
  throw new ConfigError(`${source} is invalid:\n${lines.join('\n')}`)
}

/** `formatIssues`, with unknown keys told as such, each with the closest known key */
export function configIssues(error: z.ZodError): string[] {
  return error.issues.flatMap((issue) => {
    if (issue.code !== 'unrecognized_keys') return formatIssues({ issues: [issue] } as z.ZodError)
    const at = issue.path.map(String)
    const known = knownKeys(configSchema, at)
    return issue.keys.map((key) => {
      const name = [...at, key].join('.')
      const near = known.length > 0 ? closest(key, known) : undefined
      if (
        near !== undefined &&
        distance(key.toLowerCase(), near.toLowerCase()) <= Math.max(2, Math.floor(key.length / 3))
      )
        return `unknown key ${name}: did you mean ${[...at, near].join('.')}?`
      const where = at.length > 0 ? at.join('.') : 'the top level'
      return `unknown key ${name} (keys known at ${where}: ${known.join(', ')})`
    })
  })
}

interface SchemaDef {
  type: string
  shape?: Record<string, unknown>
  innerType?: unknown
  in?: unknown
  element?: unknown
}
const defOf = (schema: unknown): SchemaDef => (schema as { _zod: { def: SchemaDef } })._zod.def

/** the keys an object schema takes at `path` (array indexes and wrappers stepped through) */
function knownKeys(schema: unknown, path: string[]): string[] {
  let def = defOf(schema)
  const unwrap = () => {
    while (true) {
      if (['default', 'optional', 'nullable', 'prefault', 'readonly'].includes(def.type))
        def = defOf(def.innerType)
      else if (def.type === 'pipe') def = defOf(def.in)
      else return
    }
  }
  for (const step of path) {
    unwrap()
    if (def.type === 'array') def = defOf(def.element)
    else if (def.type === 'object' && def.shape && step in def.shape) def = defOf(def.shape[step])
    else return []
  }
  unwrap()
  return def.type === 'object' && def.shape ? Object.keys(def.shape) : []
}
