import { type ErrorKind, OrgpulseError } from '@orgpulse/contracts'
/** Every failure the connector reports names what it was doing, which credential, and which project. */
export class JiraError extends OrgpulseError {
  constructor(
    message: string,
    readonly status?: number,
    kind: ErrorKind = 'upstream',
  ) {
    super(kind, message)
    this.name = new.target.name
  }
}

/** 401: the credential itself was rejected. */
export class JiraAuthError extends JiraError {}
/** 403: the credential works but may not do this (e.g. no Browse permission on the project). */
export class JiraPermissionError extends JiraError {}
/** 404: the project/issue does not exist or is invisible to the credential. */
export class JiraNotFoundError extends JiraError {}
/** 429/503 still answered after every retry. */
export class JiraRateLimitError extends JiraError {}
/** 400 and other answers Jira explains in errorMessages (bad JQL, unknown project in JQL). */
export class JiraRequestError extends JiraError {}
/** The environment or config does not say how to reach Jira. */
export class JiraConfigError extends JiraError {
  constructor(message: string) {
    super(message, undefined, 'config')
  }
}
