#!/usr/bin/env node
// The image's HEALTHCHECK: GET http://127.0.0.1:<port><path> (path default /healthz), exit 0 on
// a 2xx, 1 otherwise. The port is the one the process serves on: PORT (api, ingest services),
// else ORGPULSE_METRICS_PORT (transformer, sink), else ORGPULSE_PORT (`orgpulse start`). A
// process serving none of them (a one-shot command such as `migrate`) has nothing to probe:
// exit 1 says so, since an always-green check would hide a transformer started without its port.
const path = process.argv[2] ?? '/healthz'
const port = [process.env.PORT, process.env.ORGPULSE_METRICS_PORT, process.env.ORGPULSE_PORT].find(
  (p) => p !== undefined && p !== '',
)
if (!port) {
  console.error('healthcheck: no PORT, ORGPULSE_METRICS_PORT or ORGPULSE_PORT set: this process serves no probe')
  process.exit(1)
}
const url = `http://127.0.0.1:${port}${path}`
try {
  const res = await fetch(url, { signal: AbortSignal.timeout(4000) })
  if (!res.ok) {
    console.error(`healthcheck: ${url} answered ${res.status}`)
    process.exit(1)
  }
} catch (err) {
  console.error(`healthcheck: ${url}: ${err instanceof Error ? err.message : String(err)}`)
  process.exit(1)
}
