import { writeFileSync } from 'node:fs'
import { freshClickHouse } from '../helpers.ts'
import { documentedApp, liveDocument } from '../openapi-doc.ts'
import { GENERATED_TYPES, generateClientTypes } from './generate.ts'

/** `pnpm --filter @orgpulse/api client:generate`: rewrite the committed client types from the live document */
const { client } = await freshClickHouse()
const app = await documentedApp(client)
try {
  writeFileSync(GENERATED_TYPES, await generateClientTypes(await liveDocument(app)))
  process.stdout.write(`wrote ${GENERATED_TYPES.pathname}\n`)
} finally {
  await app.close()
  await client.close()
}
