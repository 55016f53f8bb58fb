/** Quarterly-review export of a large demo org, per format: time, size and peak memory. */
import { benchExport } from '../export.ts'

const args = JSON.parse(process.argv[2] ?? '{}') as { people?: number; weeks?: number }

benchExport({ people: Number(args.people ?? 10_000), weeks: Number(args.weeks ?? 52) }).then(
  (r) => {
    process.stdout.write(
      `${JSON.stringify({
        people: r.people,
        baseline_rss_mb: r.baselineRssMb,
        formats: r.formats.map((f) => ({
          format: f.format,
          org: f.org,
          ms: Math.round(f.seconds * 1000),
          bytes: f.bytes,
          peak_rss_mb: f.peakRssMb,
          rss_rise_mb: f.rssRiseMb,
          stream_rise_mb: f.streamRiseMb,
        })),
      })}\n`,
    )
  },
  (err) => {
    process.stderr.write(`${(err as Error).stack}\n`)
    process.exit(1)
  },
)
