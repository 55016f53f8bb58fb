import { SCIM_ENTERPRISE, SCIM_USER } from '@orgpulse/org'

/**
 * The discovery resources of RFC 7644 §4 (ServiceProviderConfig, ResourceTypes, Schemas), in
 * RFC 7643 §5–§7's shapes: what a provisioning client may ask of this endpoint. Only the User
 * attributes orgpulse reads are described; others are stored and returned as sent.
 */
const LIST = 'urn:ietf:params:scim:api:messages:2.0:ListResponse'

export const serviceProviderConfig = (base: string) => ({
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'],
  documentationUri: 'https://github.com/orgpulse/orgpulse/blob/main/docs/connectors.md#hr-sync',
  patch: { supported: true },
  bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
  filter: { supported: true, maxResults: 1000 },
  changePassword: { supported: false },
  sort: { supported: false },
  etag: { supported: false },
  authenticationSchemes: [
    {
      type: 'oauthbearertoken',
      name: 'Bearer token',
      description: 'the secret token of ORGPULSE_SCIM_TOKEN, as `Authorization: Bearer …`',
      primary: true,
    },
  ],
  meta: { resourceType: 'ServiceProviderConfig', location: `${base}/ServiceProviderConfig` },
})

export const userResourceType = (base: string) => ({
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:ResourceType'],
  id: 'User',
  name: 'User',
  endpoint: '/Users',
  description: 'a person of the org',
  schema: SCIM_USER,
  schemaExtensions: [{ schema: SCIM_ENTERPRISE, required: false }],
  meta: { resourceType: 'ResourceType', location: `${base}/ResourceTypes/User` },
})

const attr = (name: string, description: string, extra: Record<string, unknown> = {}) => ({
  name,
  type: 'string',
  multiValued: false,
  description,
  required: false,
  caseExact: false,
  mutability: 'readWrite',
  returned: 'default',
  uniqueness: 'none',
  ...extra,
})

export const schemas = (base: string) => [
  {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:Schema'],
    id: SCIM_USER,
    name: 'User',
    description: 'User Account',
    attributes: [
      attr('userName', 'unique identifier; the email when no email is given', {
        required: true,
        uniqueness: 'server',
      }),
      attr('displayName', "the person's name in the org"),
      {
        name: 'name',
        type: 'complex',
        multiValued: false,
        description: 'the name when displayName is not given',
        required: false,
        mutability: 'readWrite',
        returned: 'default',
        subAttributes: [
          attr('formatted', 'full name'),
          attr('givenName', 'given name'),
          attr('familyName', 'family name'),
        ],
      },
      attr('title', 'job title'),
      {
        name: 'emails',
        type: 'complex',
        multiValued: true,
        description: 'the primary (else work, else first) is the person in the org',
        required: false,
        mutability: 'readWrite',
        returned: 'default',
        subAttributes: [
          attr('value', 'address'),
          attr('type', 'work, home…'),
          { ...attr('primary', 'the one to use'), type: 'boolean' },
        ],
      },
      { ...attr('active', 'inactive users are left out of the org'), type: 'boolean' },
      attr('externalId', "the client's id", { caseExact: true }),
    ],
    meta: { resourceType: 'Schema', location: `${base}/Schemas/${SCIM_USER}` },
  },
  {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:Schema'],
    id: SCIM_ENTERPRISE,
    name: 'EnterpriseUser',
    description: 'Enterprise User',
    attributes: [
      {
        name: 'manager',
        type: 'complex',
        multiValued: false,
        description: "the manager's SCIM id: the org chart's reporting line",
        required: false,
        mutability: 'readWrite',
        returned: 'default',
        subAttributes: [
          attr('value', "the manager's id", { type: 'reference', referenceTypes: ['User'], caseExact: true }),
        ],
      },
      attr('department', 'names the team'),
      attr('employeeNumber', 'another identity of the person'),
    ],
    meta: { resourceType: 'Schema', location: `${base}/Schemas/${SCIM_ENTERPRISE}` },
  },
]

export const listOf = (resources: unknown[]) => ({
  schemas: [LIST],
  totalResults: resources.length,
  startIndex: 1,
  itemsPerPage: resources.length,
  Resources: resources,
})
