import { createPlatformaticBus } from '/work/main/packages/kafka/src/platformatic-bus.ts'
const bus = createPlatformaticBus({ brokers: [process.env.B!], clientId: 'x', publishRetries: 2 })
const t0 = Date.now()
const timer = setTimeout(() => { console.log('still hanging after 20s'); process.exit(1) }, 20000)
try { await bus.publish('no.such.topic.' + Date.now(), [{ key: 'k', value: Buffer.from('v') }]); console.log('resolved?!') }
catch (e) { console.log('rejected after', Date.now() - t0, (e as Error).message, JSON.stringify((e as any).errors?.map((x: any) => x.message))) }
clearTimeout(timer)
await bus.close()
