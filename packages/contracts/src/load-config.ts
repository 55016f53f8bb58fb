import { existsSync, readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { parse as parseYaml } from 'yaml'
import { configSchema, type OrgpulseConfig } from './config.ts'
import { OrgpulseError, type OrgpulseErrorOptions } from './errors.ts'
import { formatIssues } from './format-issues.ts'

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
  const parsed = configSchema.safeParse(raw)
  if (!parsed.success) {
    const lines = formatIssues(parsed.error).map((line) => `  ${line}`)
    throw new ConfigError(`${path} is invalid:\n${lines.join('\n')}`)
  }
  return { config: parsed.data, path }
}
