/**
 * Google's partial-response `fields` syntax: `a,b(c,d),e/f`; `*` selects everything. A selected
 * array applies the sub-selection to each element. Unknown names select nothing, as Google does.
 */
type Selection = Map<string, Selection | null>

function parse(spec: string): Selection {
  let i = 0
  const parseList = (): Selection => {
    const sel: Selection = new Map()
    while (i < spec.length && spec[i] !== ')') {
      let name = ''
      while (i < spec.length && !',()'.includes(spec[i] as string)) name += spec[i++]
      let sub: Selection | null = null
      if (spec[i] === '(') {
        i++
        sub = parseList()
        i++ // ')'
      }
      // a/b/c is a(b(c))
      const path = name.trim().split('/')
      let leaf: Selection | null = sub
      for (let p = path.length - 1; p >= 1; p--) leaf = new Map([[path[p] as string, leaf]])
      const head = path[0] as string
      if (head) sel.set(head, merge(sel.get(head) ?? null, leaf, sel.has(head)))
      if (spec[i] === ',') i++
    }
    return sel
  }
  return parseList()
}

function merge(a: Selection | null, b: Selection | null, had: boolean): Selection | null {
  if (!had) return b
  if (a === null || b === null) return null
  const out = new Map(a)
  for (const [k, v] of b) out.set(k, merge(out.get(k) ?? null, v, out.has(k)))
  return out
}

function apply(value: unknown, sel: Selection | null): unknown {
  if (sel === null || sel.has('*')) return value
  if (Array.isArray(value)) return value.map((v) => apply(v, sel))
  if (value === null || typeof value !== 'object') return value
  const out: Record<string, unknown> = {}
  for (const [k, sub] of sel) {
    const v = (value as Record<string, unknown>)[k]
    if (v !== undefined) out[k] = apply(v, sub)
  }
  return out
}

export function projectFields<T>(body: T, fields: string | null): unknown {
  if (!fields) return body
  return apply(body, parse(fields))
}
