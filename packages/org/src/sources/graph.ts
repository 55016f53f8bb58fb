import type { HrConfig } from '@orgpulse/contracts'
import type { HrSourceDeps } from './index.ts'
import type { HrSource } from './records.ts'

export function graphUsersSource(_config: HrConfig['graph'], _deps: HrSourceDeps): HrSource {
  throw new Error('not yet')
}
