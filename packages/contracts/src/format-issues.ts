import type { z } from 'zod'

/**
 * The one way a zod error is told to a person: one line per problem, `field.path: message`
 * (`(root): message` for the value itself), in the order zod found them.
 */
export function formatIssues(error: z.ZodError): string[] {
  return error.issues.map((i) => `${i.path.length > 0 ? i.path.join('.') : '(root)'}: ${i.message}`)
}
