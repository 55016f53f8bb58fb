import type { ClickHouseClient } from '@clickhouse/client'
import { toClickHouseTime } from '@orgpulse/contracts'
import { queryRows } from './client.ts'

/**
 * Webhook deliveries a connector already published (table `webhook_deliveries`, migration 007),
 * per source. Durable, unlike a memory of recent ids: a replay after a restart is still one.
 */
export class WebhookDeliveryStore {
  constructor(
    private readonly client: ClickHouseClient,
    private readonly source: string,
  ) {}

  /** whether any of `keys` was remembered */
  async seen(keys: string[]): Promise<boolean> {
    if (keys.length === 0) return false
    const rows = await queryRows<{ n: string }>(
      this.client,
      'SELECT count() AS n FROM webhook_deliveries WHERE source = {source:String} AND key IN {keys:Array(String)}',
      { source: this.source, keys },
    )
    return Number(rows[0]?.n ?? 0) > 0
  }

  async remember(keys: string[]): Promise<void> {
    if (keys.length === 0) return
    const received_at = toClickHouseTime(new Date())
    await this.client.insert({
      table: 'webhook_deliveries',
      format: 'JSONEachRow',
      values: keys.map((key) => ({ source: this.source, key, received_at })),
      // synchronous: the next delivery must see it
      clickhouse_settings: { async_insert: 0 },
    })
  }
}
