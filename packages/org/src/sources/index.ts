import { type HrConfig, OrgpulseError } from '@orgpulse/contracts'
import type { HrSource, HrSourceDeps } from './records.ts'
import { scimSource } from './scim.ts'

/** The HR source orgpulse.yaml's `hr:` names, with its credentials from the environment. */
export async function hrSource(config: HrConfig, deps: HrSourceDeps): Promise<HrSource> {
  switch (config.source) {
    case 'scim':
      return scimSource(deps.client)
    case 'graph': {
      const { graphUsersSource } = await import('./graph.ts')
      return graphUsersSource(config.graph, deps)
    }
    case 'bamboohr': {
      const { bambooHrSource } = await import('./bamboohr.ts')
      if (!config.bamboohr) throw new OrgpulseError('config', 'hr.source bamboohr needs hr.bamboohr.company')
      return bambooHrSource(config.bamboohr, deps)
    }
  }
}
