/**
 * The subset of Linear's public GraphQL schema (https://api.linear.app/graphql, as published in
 * the @linear/sdk repository) that orgpulse reads. Names, nullability and argument shapes follow
 * the real schema so a query that runs here runs there; packages/connector-linear/test/
 * fake-contract.test.ts checks every type, field and argument here against the schema types
 * @linear/sdk (pinned) generates from Linear's production schema.
 */
export const LINEAR_SDL = /* GraphQL */ `
scalar DateTime
scalar DateTimeOrDuration

enum PaginationOrderBy { createdAt updatedAt }

type PageInfo { hasPreviousPage: Boolean! hasNextPage: Boolean! startCursor: String endCursor: String }

type User { id: ID! name: String! displayName: String! email: String! active: Boolean! createdAt: DateTime! updatedAt: DateTime! }
type UserConnection { nodes: [User!]! pageInfo: PageInfo! }

type Team { id: ID! key: String! name: String! issueCount(includeArchived: Boolean): Int! createdAt: DateTime! updatedAt: DateTime! }
type TeamConnection { nodes: [Team!]! pageInfo: PageInfo! }

type WorkflowState { id: ID! name: String! type: String! color: String! position: Float! team: Team! }

type IssueLabel { id: ID! name: String! color: String! }

type Project { id: ID! name: String! }
type IssueLabelConnection { nodes: [IssueLabel!]! pageInfo: PageInfo! }

type IssueHistory {
  id: ID!
  createdAt: DateTime!
  updatedAt: DateTime!
  issue: Issue!
  actorId: String
  actor: User
  fromStateId: String
  toStateId: String
  fromState: WorkflowState
  toState: WorkflowState
  fromAssigneeId: String
  toAssigneeId: String
  fromAssignee: User
  toAssignee: User
  addedLabelIds: [String!]
  removedLabelIds: [String!]
  addedLabels: [IssueLabel!]
  removedLabels: [IssueLabel!]
}
type IssueHistoryConnection { nodes: [IssueHistory!]! pageInfo: PageInfo! }

type IssueRelation { id: ID! type: String! createdAt: DateTime! updatedAt: DateTime! issue: Issue! relatedIssue: Issue! }
type IssueRelationConnection { nodes: [IssueRelation!]! pageInfo: PageInfo! }

type Issue {
  id: ID!
  identifier: String!
  number: Float!
  title: String!
  priority: Float!
  estimate: Float
  createdAt: DateTime!
  updatedAt: DateTime!
  startedAt: DateTime
  completedAt: DateTime
  canceledAt: DateTime
  team: Team!
  project: Project
  state: WorkflowState!
  creator: User
  assignee: User
  cycle: Cycle
  labels(first: Int, after: String): IssueLabelConnection!
  history(first: Int, after: String): IssueHistoryConnection!
  relations(first: Int, after: String): IssueRelationConnection!
  inverseRelations(first: Int, after: String): IssueRelationConnection!
}
type IssueConnection { nodes: [Issue!]! pageInfo: PageInfo! }

type Cycle {
  id: ID!
  number: Float!
  name: String
  createdAt: DateTime!
  updatedAt: DateTime!
  startsAt: DateTime!
  endsAt: DateTime!
  completedAt: DateTime
  scopeHistory: [Float!]!
  completedScopeHistory: [Float!]!
  inProgressScopeHistory: [Float!]!
  issueCountHistory: [Float!]!
  completedIssueCountHistory: [Float!]!
  team: Team!
  issues(first: Int, after: String): IssueConnection!
}
type CycleConnection { nodes: [Cycle!]! pageInfo: PageInfo! }

input StringComparator { eq: String neq: String in: [String!] nin: [String!] }
input IdComparator { eq: ID neq: ID in: [ID!] nin: [ID!] }
input IssueIdComparator { eq: ID neq: ID in: [ID!] nin: [ID!] }
input DateComparator { eq: DateTimeOrDuration gt: DateTimeOrDuration gte: DateTimeOrDuration lt: DateTimeOrDuration lte: DateTimeOrDuration }
input TeamFilter { id: IdComparator key: StringComparator name: StringComparator }
input IssueFilter { id: IssueIdComparator team: TeamFilter createdAt: DateComparator updatedAt: DateComparator }
input CycleFilter { id: IdComparator team: TeamFilter startsAt: DateComparator endsAt: DateComparator }

type Query {
  viewer: User!
  teams(first: Int, after: String, orderBy: PaginationOrderBy): TeamConnection!
  users(first: Int, after: String, orderBy: PaginationOrderBy, includeDisabled: Boolean): UserConnection!
  user(id: String!): User!
  issues(first: Int, after: String, filter: IssueFilter, orderBy: PaginationOrderBy, includeArchived: Boolean): IssueConnection!
  issue(id: String!): Issue!
  cycles(first: Int, after: String, filter: CycleFilter, orderBy: PaginationOrderBy): CycleConnection!
  issueRelations(first: Int, after: String, orderBy: PaginationOrderBy): IssueRelationConnection!
}
`
