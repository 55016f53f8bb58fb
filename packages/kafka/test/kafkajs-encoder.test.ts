import { createRequire } from 'node:module'
import { describe, expect, it } from 'vitest'

/**
 * patches/kafkajs@2.2.4.patch rewrites kafkajs' varint writer (in place instead of an array and
 * a Buffer per varint) and gives small varlongs a path without Long: the producer's hottest
 * frames; the consumer reads varlongs of up to 28 bits without BigInt. The wire bytes must stay
 * exactly Kafka's (zigzag varints, KIP-98 record format); the
 * expected bytes below are worked out by hand from the protocol's definition.
 */
const require = createRequire(import.meta.url)
type Encoder = { buffer: Buffer } & Record<
  'writeVarInt' | 'writeUVarInt' | 'writeVarLong',
  (v: number) => Encoder
>
const Encoder = require('kafkajs/src/protocol/encoder.js') as {
  new (): Encoder
  sizeOfVarLong(v: number): number
}
const Decoder = require('kafkajs/src/protocol/decoder.js') as new (
  b: Buffer,
) => { readVarInt(): number; readVarLong(): { toString(): string }; readInt8(): number }
const Record = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (r: object) => Encoder
const decodeRecord = require('kafkajs/src/protocol/recordBatch/record/v0/decoder.js') as (
  d: unknown,
  ctx: object,
) => { offset: string; timestamp: string; key: Buffer; value: Buffer; headers: Record<string, Buffer> }

type Batch = { buffer: Buffer; size(): number }
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js') as {
  RecordBatch(o: object): Promise<Batch>
}
const { partitionsEncoder } = require('kafkajs/src/protocol/requests/produce/v3/request.js') as {
  partitionsEncoder(compression: number): (o: object) => Promise<Batch>
}
const decodeBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder.js') as (d: unknown) => Promise<{
  records: { offset: string; key: Buffer; value: Buffer; headers: Record<string, Buffer> }[]
}>
const Long = require('kafkajs/src/utils/long.js') as { fromInt(n: number): unknown }

const crc32C = require('kafkajs/src/protocol/recordBatch/crc32C/index.js') as (b: Buffer) => number

const hex = (e: Encoder) => e.buffer.toString('hex')

/** CRC-32C bit by bit from its definition (reflected polynomial 0x82F63B78), the reference */
function crc32cBitwise(b: Buffer): number {
  let crc = 0xffffffff
  for (const byte of b) {
    crc ^= byte
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1
  }
  return (crc ^ 0xffffffff) >>> 0
}

describe('kafkajs encoder (patched)', () => {
  it('writes zigzag varints and varlongs byte for byte as the protocol defines them', () => {
    // 300 → zigzag 600 = 0b100_1011000 → 0xd8 0x04
    expect(hex(new Encoder().writeVarInt(300))).toBe('d804')
    expect(hex(new Encoder().writeVarLong(300))).toBe('d804')
    // -1 → 1; -65 → 129 = 0x81 0x01
    expect(hex(new Encoder().writeVarLong(-1))).toBe('01')
    expect(hex(new Encoder().writeVarLong(-65))).toBe('8101')
    // unsigned 300 = 0b10_0101100 → 0xac 0x02
    expect(hex(new Encoder().writeUVarInt(300))).toBe('ac02')
    // the last value of the fast path, 2^30 - 1 → 2^31 - 2: 0xfe 0xff 0xff 0xff 0x07
    expect(hex(new Encoder().writeVarLong(2 ** 30 - 1))).toBe('feffffff07')
    // first values past it (Long path): -2^30 → 2^31 - 1; 2^40 → 2^41 = five 0x80 then 0x40
    expect(hex(new Encoder().writeVarLong(-(2 ** 30)))).toBe('ffffffff07')
    expect(hex(new Encoder().writeVarLong(2 ** 40))).toBe('808080808040')
    expect([0, 63, 64, 2 ** 30 - 1, 2 ** 40].map((v) => Encoder.sizeOfVarLong(v))).toEqual([1, 1, 2, 5, 6])
    // several values in one encoder: each written after the previous one
    expect(hex(new Encoder().writeVarInt(1).writeVarLong(300).writeUVarInt(0))).toBe('02d80400')
  })

  it('reads varlongs back, on both sides of the 28-bit fast path, and leaves the offset after them', () => {
    // 2^27 - 1 is the largest 4-byte value, -2^27 - 1 the first negative one needing 5
    for (const v of [
      0,
      1,
      -1,
      300,
      -65,
      2 ** 27 - 1,
      -(2 ** 27),
      2 ** 27,
      -(2 ** 27) - 1,
      2 ** 40,
      1796158060641,
    ]) {
      const d = new Decoder(Buffer.concat([new Encoder().writeVarLong(v).buffer, Buffer.from([7])]))
      expect(d.readVarLong().toString()).toBe(String(v))
      expect(d.readInt8()).toBe(7)
    }
  })

  it('computes the record batch CRC-32C (patched to eight bytes a step) as the definition does', () => {
    // RFC 3720 B.4's check value
    expect(crc32C(Buffer.from('123456789'))).toBe(0xe3069283)
    // every length around the 8-byte steps, with bytes that set the high bits
    for (let len = 0; len <= 40; len++) {
      const b = Buffer.from(Array.from({ length: len }, (_, i) => (i * 151 + len * 7 + 200) & 0xff))
      expect(crc32C(b)).toBe(crc32cBitwise(b))
    }
  })

  it('a record with a key, a value and a header reads back through kafkajs’ own decoder', () => {
    const value = Buffer.from('x'.repeat(200))
    const bytes = Record({
      key: 'B-7',
      value,
      headers: { 'orgpulse-validated': 'canonical.v1' },
      offsetDelta: 5,
      timestampDelta: 1234,
    }).buffer
    const d = new Decoder(bytes)
    // the length prefix counts the bytes after it
    const length = d.readVarInt()
    expect(length).toBe(bytes.length - 2)
    const r = decodeRecord(d, { firstOffset: '100', firstTimestamp: '1000', magicByte: 2 })
    expect(r.offset).toBe('105')
    expect(r.timestamp).toBe('2234')
    expect(r.key.toString()).toBe('B-7')
    expect(r.value.equals(value)).toBe(true)
    expect(r.headers['orgpulse-validated']!.toString()).toBe('canonical.v1')
    // offsets and timestamps past 2^53 take the Long path (patched: doubles below it)
    const big = decodeRecord(new Decoder(bytes.subarray(2)), {
      firstOffset: '9007199254740990',
      firstTimestamp: '1000',
      magicByte: 2,
    })
    expect(big.offset).toBe('9007199254740995')
    const huge = decodeRecord(new Decoder(bytes.subarray(2)), {
      firstOffset: '1152921504606846976',
      firstTimestamp: '9007199254740000',
      magicByte: 2,
    })
    expect(huge.offset).toBe('1152921504606846981')
    expect(huge.timestamp).toBe('9007199254741234')
  })

  it('a partition written in one encoder has the bytes of a Record per message, RecordBatch and the partition prefix', async () => {
    const t0 = 1_796_158_060_000
    const messages = Array.from({ length: 300 }, (_, i) => ({
      key: i % 7 === 0 ? null : `key-${i}`,
      // values around the varint length steps (127/128 bytes), one empty
      value: Buffer.from('v'.repeat(i === 3 ? 0 : 120 + (i % 20))),
      headers: i % 2 === 0 ? { 'orgpulse-validated': 'canonical.v1' } : {},
      timestamp: t0 + i,
    }))
    for (const transactionalId of [null, 'tx-1']) {
      const producerId = Long.fromInt(4242)
      const got = await partitionsEncoder(0)({
        partition: 4,
        messages,
        transactionalId,
        firstSequence: 77,
        producerId,
        producerEpoch: 1,
      })
      // the unpatched composition, still kafkajs' path for compressed batches
      const batch = await RecordBatch({
        compression: 0,
        records: messages.map((m, i) =>
          Record({ key: m.key, value: m.value, headers: m.headers, offsetDelta: i, timestampDelta: i }),
        ),
        firstTimestamp: t0,
        maxTimestamp: t0 + 299,
        producerId,
        producerEpoch: 1,
        firstSequence: 77,
        transactional: transactionalId !== null,
        lastOffsetDelta: 299,
      })
      const want = Buffer.concat([Buffer.from([0, 0, 0, 4]), Buffer.alloc(4), batch.buffer])
      want.writeInt32BE(batch.size(), 4)
      expect(got.buffer.equals(want)).toBe(true)
      // the batch's CRC-32C (after partition, size, firstOffset, length, epoch, magic) over the rest
      expect(got.buffer.readUInt32BE(25)).toBe(crc32cBitwise(got.buffer.subarray(29)))
      // and kafkajs' own decoder reads every record back from it
      const { records } = await decodeBatch(new Decoder(got.buffer.subarray(8)))
      expect(records.map((r) => r.offset)).toEqual(messages.map((_, i) => String(i)))
      expect(records[8]!.key.toString()).toBe('key-8')
      expect(records[7]!.key).toBeNull()
      expect(records[3]!.value.length).toBe(0)
      expect(records[10]!.headers['orgpulse-validated']!.toString()).toBe('canonical.v1')
      expect(Object.keys(records[11]!.headers)).toEqual([])
    }
  })
})
