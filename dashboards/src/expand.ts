import { OrgpulseError } from '@orgpulse/contracts'
/**
 * Expands a ClickHouse data source query the way Grafana and the plugin do before it reaches
 * ClickHouse, so tests (and the built-in pages) run exactly what Grafana would send:
 *
 * 1. Template variables, in the browser (`Datasource.applyTemplateVariables`): `$var`, `${var}`,
 *    `${var:format}`, `[[var]]`. With an explicit format Grafana's formatter applies (here:
 *    `singlequote`, which escapes `'` as `\'`, `csv`, `raw`); without one the plugin's own
 *    formatter joins multi-values as `'a','b'` WITHOUT escaping and passes single values raw.
 * 2. Backend macros (pkg/macros/macros.go through sqlds): only these exist on the backend, so
 *    only these work in alert rules. Anything else that starts with `$__` is rejected: in
 *    particular `$__conditionalAll` and `$__adHocFilters`, which expand only in the browser.
 */

export type VariableValue = string | readonly string[]

export interface ExpandOptions {
  from: Date
  to: Date
  /** the panel's interval (Grafana computes it from the range and max data points) */
  intervalMs?: number
  variables?: Record<string, VariableValue>
  /** alert rules: no browser step at all, so any template variable left in the query is an error */
  alert?: boolean
}

export class QueryExpansionError extends OrgpulseError {
  constructor(message: string) {
    super('invalid_input', message)
  }
}

const BROWSER_ONLY_MACROS = ['$__conditionalAll', '$__adHocFilters']

/** Grafana's `singlequote` formatter. */
const singleQuote = (v: VariableValue): string =>
  (Array.isArray(v) ? v : [v]).map((s) => `'${String(s).replace(/'/g, "\\'")}'`).join(',')

/** The plugin's default formatter (`Datasource.format`): arrays joined unescaped, scalars raw. */
const pluginDefault = (v: VariableValue): string => (Array.isArray(v) ? `'${v.join("','")}'` : String(v))

function formatValue(name: string, value: VariableValue, format: string | undefined): string {
  switch (format) {
    case undefined:
      return pluginDefault(value)
    case 'singlequote':
      return singleQuote(value)
    case 'csv':
    case 'raw':
      return Array.isArray(value) ? value.join(',') : String(value)
    default:
      throw new QueryExpansionError(`variable ${name}: format "${format}" is not supported by the expander`)
  }
}

export function interpolateVariables(sql: string, variables: Record<string, VariableValue>): string {
  // `$__…` are Grafana globals and plugin macros, never dashboard variables
  return sql.replace(
    /\$\{(\w+)(?::(\w+))?\}|\[\[(\w+)\]\]|\$(?!__)(\w+)/g,
    (match, n1?: string, fmt?: string, n2?: string, n3?: string) => {
      const name = (n1 ?? n2 ?? n3)!
      const value = variables[name]
      if (value === undefined) {
        throw new QueryExpansionError(`template variable "${name}" (${match}) has no value`)
      }
      return formatValue(name, value, fmt)
    },
  )
}

const unixSeconds = (d: Date): number => Math.floor(d.getTime() / 1000)

type Macro = (args: string[], o: Required<Pick<ExpandOptions, 'from' | 'to' | 'intervalMs'>>) => string

const oneArg = (name: string, args: string[]): string => {
  if (args.length !== 1 || !args[0])
    throw new QueryExpansionError(`$__${name} expects 1 argument, received ${args.length}`)
  return args[0]
}

/** pkg/macros/macros.go, one for one */
const MACROS: Record<string, Macro> = {
  fromTime: (_a, o) => `toDateTime(${unixSeconds(o.from)})`,
  toTime: (_a, o) => `toDateTime(${unixSeconds(o.to)})`,
  fromTime_ms: (_a, o) => `fromUnixTimestamp64Milli(${o.from.getTime()})`,
  toTime_ms: (_a, o) => `fromUnixTimestamp64Milli(${o.to.getTime()})`,
  timeFilter: (a, o) => {
    const c = oneArg('timeFilter', a)
    return `${c} >= toDateTime(${unixSeconds(o.from)}) AND ${c} <= toDateTime(${unixSeconds(o.to)})`
  },
  timeFilter_ms: (a, o) => {
    const c = oneArg('timeFilter_ms', a)
    return `${c} >= fromUnixTimestamp64Milli(${o.from.getTime()}) AND ${c} <= fromUnixTimestamp64Milli(${o.to.getTime()})`
  },
  timeInterval: (a, o) =>
    `toStartOfInterval(toDateTime(${oneArg('timeInterval', a)}), INTERVAL ${Math.max(Math.floor(o.intervalMs / 1000), 1)} second)`,
  interval_s: (_a, o) => String(Math.max(Math.floor(o.intervalMs / 1000), 1)),
}

/** the macros a query may use (tests check every generated query against this list) */
export const BACKEND_MACROS = Object.keys(MACROS)

export function expandMacros(sql: string, options: ExpandOptions): string {
  for (const bad of BROWSER_ONLY_MACROS) {
    if (sql.includes(bad))
      throw new QueryExpansionError(
        `${bad} expands only in the browser: never in alert rules, and not used by orgpulse queries`,
      )
  }
  const o = { from: options.from, to: options.to, intervalMs: options.intervalMs ?? 7 * 86400000 }
  // longest names first, and a word boundary, so `$__toTime` never eats `$__toTime_ms`
  const names = [...BACKEND_MACROS].sort((a, b) => b.length - a.length)
  let out = sql
  for (const name of names) {
    out = out.replace(new RegExp(`\\$__${name}\\b(?:\\(([^()]*?)\\))?`, 'g'), (_m, args?: string) =>
      MACROS[name]!(args === undefined ? [] : args.split(',').map((s) => s.trim()), o),
    )
  }
  const left = out.match(/\$__\w+/)
  if (left) throw new QueryExpansionError(`unknown or unsupported macro ${left[0]}`)
  return out
}

/** Both steps, in Grafana's order. */
export function expandQuery(sql: string, options: ExpandOptions): string {
  if (options.alert) {
    const v = sql.match(/\$\{\w+(?::\w+)?\}|\[\[\w+\]\]|\$(?!__)\w+/)
    if (v)
      throw new QueryExpansionError(
        `alert queries run in the backend, where template variable ${v[0]} never expands`,
      )
    return expandMacros(sql, options)
  }
  return expandMacros(interpolateVariables(sql, options.variables ?? {}), options)
}
