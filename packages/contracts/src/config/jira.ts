import { z } from 'zod'

/** `jira:` section of orgpulse.yaml. Owned by the Jira connector (services/ingest-jira). */
export const jiraConfigSchema = z.object({}).passthrough()
export type JiraConfig = z.infer<typeof jiraConfigSchema>
