/**
 * A schema built on its first use instead of at import. Building zod schemas costs CPU (every
 * wrapper is an object graph of checks, defaults and clones), and the config's schemas are
 * imported by every process that imports this package, though only those that read orgpulse.yaml
 * use them: built at import, they cost `orgpulse --help` a third of its start-up.
 *
 * The proxy stands for the schema in every use (parse, shape, optional(), nesting in another
 * schema, instanceof) and has the schema's own type, so `z.infer` and the exported names are as
 * before. Schemas derived from it (`.optional()`, a schema it is nested in) hold the built schema
 * itself, so a parse pays the proxy once per call at most.
 */
export function lazySchema<T extends object>(build: () => T): T {
  let built: T | undefined
  const schema = (): T => {
    built ??= build()
    return built
  }
  return new Proxy({} as T, {
    get: (_, key) => Reflect.get(schema(), key),
    has: (_, key) => Reflect.has(schema(), key),
    set: (_, key, value) => Reflect.set(schema(), key, value),
    ownKeys: () => Reflect.ownKeys(schema()),
    // reported configurable: a proxy may not claim a fixed property its (empty) target lacks
    getOwnPropertyDescriptor: (_, key) => {
      const d = Reflect.getOwnPropertyDescriptor(schema(), key)
      return d && { ...d, configurable: true }
    },
    getPrototypeOf: () => Reflect.getPrototypeOf(schema()),
  })
}
