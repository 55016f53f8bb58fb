/**
 * The GraphQL documents the connector sends. They select only what the mapper reads, and nest
 * history and relations inside the issue page so one request returns whole issues; the page
 * size is then chosen from the complexity estimate (see complexity.ts).
 */

const USER = 'id name email'
const STATE = 'id name type'
const PAGE = 'pageInfo { hasNextPage endCursor }'

export const HISTORY_FIELDS = `id createdAt actor { ${USER} } fromState { ${STATE} } toState { ${STATE} }
  fromAssignee { ${USER} } toAssignee { ${USER} } addedLabels { id name } removedLabels { id name }`

const RELATION_ISSUE =
  'id identifier completedAt canceledAt state { id name type } team { id key } project { id }'
export const RELATION_FIELDS = `id type createdAt updatedAt issue { ${RELATION_ISSUE} } relatedIssue { ${RELATION_ISSUE} }`

/** history entries per issue fetched with the issue; more pages are fetched separately */
export const NESTED_HISTORY = 25
export const NESTED_RELATIONS = 10
export const NESTED_LABELS = 20

export function issuesQuery(incremental: boolean): string {
  const since = incremental ? ', $since: DateTimeOrDuration!' : ''
  const filter = incremental ? ', updatedAt: { gte: $since }' : ''
  return `query TeamIssues($teamKey: String!, $first: Int!, $after: String${since}) {
  issues(first: $first, after: $after, orderBy: updatedAt, filter: { team: { key: { eq: $teamKey } }${filter} }) {
    nodes {
      id identifier title createdAt updatedAt completedAt canceledAt estimate
      team { id key }
      project { id name }
      state { ${STATE} }
      creator { ${USER} }
      assignee { ${USER} }
      labels(first: ${NESTED_LABELS}) { nodes { id name } ${PAGE} }
      history(first: ${NESTED_HISTORY}) { nodes { ${HISTORY_FIELDS} } ${PAGE} }
      relations(first: ${NESTED_RELATIONS}) { nodes { ${RELATION_FIELDS} } ${PAGE} }
    }
    ${PAGE}
  }
}`
}

/** the rest of a nested connection of one issue, page by page (same selection as in issuesQuery) */
const issueConnectionQuery = (name: string, field: string, selection: string): string =>
  `query ${name}($id: String!, $first: Int!, $after: String) {
  issue(id: $id) { ${field}(first: $first, after: $after) { nodes { ${selection} } ${PAGE} } }
}`
export const ISSUE_HISTORY_QUERY = issueConnectionQuery('IssueHistory', 'history', HISTORY_FIELDS)
export const ISSUE_LABELS_QUERY = issueConnectionQuery('IssueLabels', 'labels', 'id name')
export const ISSUE_RELATIONS_QUERY = issueConnectionQuery('IssueRelations', 'relations', RELATION_FIELDS)

export const TEAMS_QUERY = `query Teams($first: Int!, $after: String) {
  teams(first: $first, after: $after) { nodes { id key name issueCount } ${PAGE} }
}`

/** suspended users too (Linear leaves them out by default): their past decisions still count */
export const USERS_QUERY = `query Users($first: Int!, $after: String) {
  users(first: $first, after: $after, includeDisabled: true) { nodes { id name email active } ${PAGE} }
}`

/** one user by id: the webhook route's look-up of an id the delivery names without an email */
export const USER_QUERY = `query User($id: String!) { user(id: $id) { id name email active } }`

const CYCLE_FIELDS = `id number name startsAt endsAt completedAt updatedAt
  scopeHistory completedScopeHistory issueCountHistory completedIssueCountHistory team { id key }`

export function cyclesQuery(incremental: boolean): string {
  const since = incremental ? ', $endsAfter: DateTimeOrDuration!' : ''
  const filter = incremental ? ', endsAt: { gte: $endsAfter }' : ''
  return `query TeamCycles($teamKey: String!, $first: Int!, $after: String${since}) {
  cycles(first: $first, after: $after, filter: { team: { key: { eq: $teamKey } }${filter} }) { nodes { ${CYCLE_FIELDS} } ${PAGE} }
}`
}

export const RELATIONS_QUERY = `query IssueRelations($first: Int!, $after: String) {
  issueRelations(first: $first, after: $after) { nodes { ${RELATION_FIELDS} } ${PAGE} }
}`

/** Linear's largest page */
export const MAX_PAGE = 250
