import type { Family, MetricDef } from '../types.ts'

// Replaced by the calendar connector's meeting family (issue 6).
export const meetingsFamily: Family = { id: 'meetings', base: 'SELECT 1 AS scope, now64(3) AS w_from, now64(3) AS w_to WHERE 0' }
export const meetingMetrics: MetricDef[] = []
