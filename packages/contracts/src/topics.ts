/** Every Kafka topic orgpulse uses, defined once. */
export const SOURCES = ['decisions', 'jira', 'linear', 'calendar'] as const
export type Source = (typeof SOURCES)[number]

export const rawTopic = (source: Source): string => `orgpulse.raw.${source}.v1`

export const TOPICS = {
  raw: Object.fromEntries(SOURCES.map((s) => [s, rawTopic(s)])) as Record<Source, string>,
  events: 'orgpulse.events.v1',
  dlq: 'orgpulse.dlq.v1',
  org: 'orgpulse.org.v1',
} as const

export interface TopicSpec {
  name: string
  partitions: number
  /** compacted topics keep the latest value per key forever */
  compacted: boolean
  retentionMs: number
}

const WEEK_MS = 7 * 24 * 3600 * 1000

/** Raw topics keep 30 days so mapping changes can be replayed; the DLQ keeps 90 days for operators. */
export const TOPIC_SPECS: TopicSpec[] = [
  ...SOURCES.map((s) => ({
    name: rawTopic(s),
    partitions: 6,
    compacted: false,
    retentionMs: 30 * 24 * 3600 * 1000,
  })),
  { name: TOPICS.events, partitions: 6, compacted: false, retentionMs: 2 * WEEK_MS },
  { name: TOPICS.dlq, partitions: 1, compacted: false, retentionMs: 90 * 24 * 3600 * 1000 },
  { name: TOPICS.org, partitions: 1, compacted: true, retentionMs: -1 },
]
