import { ErrorCodes, isFactumError, newEventId, type StoredEvent } from 'factum';
import {
  decodeMarker,
  encodeMarker,
  fromKafkaRecord,
  headerRecord,
  previousDeliveries,
  toKafkaRecord,
} from 'factum/kafka';
import { describe, expect, it } from 'vitest';

const event: StoredEvent = {
  id: newEventId(),
  type: 'OrderPlaced',
  streamId: 'order-42',
  category: 'order',
  version: 7,
  position: 2n ** 62n + 5n,
  schemaVersion: 3,
  timestamp: new Date('2026-03-14T10:00:00.123Z'),
  data: { total: 4999, note: 'naïve ☕ "quoted"' },
  metadata: { correlationId: 'corr-1', tenant: 'acme' },
};

describe('Kafka wire format', () => {
  it('round-trips an event through key, ce_* headers and value', () => {
    const record = toKafkaRecord(event, '/orders');
    expect(record.key.toString()).toBe('order-42');
    const headers = headerRecord(record.headers);
    expect(headers).toMatchObject({
      'content-type': 'application/json',
      ce_specversion: '1.0',
      ce_id: event.id,
      ce_source: '/orders',
      ce_type: 'OrderPlaced',
      ce_subject: 'order-42',
      ce_streamversion: '7',
      ce_position: (2n ** 62n + 5n).toString(),
      ce_correlationid: 'corr-1',
    });
    expect(fromKafkaRecord(headers, record.value)).toEqual(event);
  });

  it('header values of one record do not overlap (they share one buffer)', () => {
    const a = headerRecord(toKafkaRecord(event, '/a').headers);
    const b = headerRecord(toKafkaRecord({ ...event, streamId: 'order-7', id: newEventId() }, '/b').headers);
    expect(a.ce_subject).toBe('order-42');
    expect(b.ce_subject).toBe('order-7');
    expect(a.ce_source).toBe('/a');
  });

  it("header values shared between records stay each record's own", () => {
    const a = headerRecord(toKafkaRecord(event, '/a').headers);
    const b = headerRecord(toKafkaRecord({ ...event, type: 'OrderShipped', schemaVersion: 4 }, '/b').headers);
    expect(a).toMatchObject({ ce_type: 'OrderPlaced', ce_source: '/a', ce_schemaversion: '3' });
    expect(b).toMatchObject({ ce_type: 'OrderShipped', ce_source: '/b', ce_schemaversion: '4' });
  });

  it('rejects a record without CloudEvents headers as an invalid message', () => {
    let error: unknown;
    try {
      fromKafkaRecord({}, Buffer.from('{}'));
    } catch (e) {
      error = e;
    }
    expect(isFactumError(error, ErrorCodes.INVALID_MESSAGE)).toBe(true);
    expect((error as Error).message).toContain('no CloudEvents headers');
  });
});

describe('delivery markers in the committed offset metadata', () => {
  it('round-trip, and count the deliveries of the records they cover only', () => {
    const marker = { offset: 10n, count: 3, deliveries: 2, member: 'm-1', at: 1234 };
    const text = encodeMarker(marker);
    expect(text.startsWith('factum:')).toBe(true);
    expect(decodeMarker(text)).toEqual(marker);
    expect([9n, 10n, 12n, 13n].map((o) => previousDeliveries(marker, o))).toEqual([0, 2, 2, 0]);
    expect(previousDeliveries(undefined, 10n)).toBe(0);
  });

  it('ignore metadata written by other tools, and malformed markers', () => {
    for (const text of [
      null,
      undefined,
      '',
      'hello',
      'factum:{',
      'factum:{"o":"-1","d":1}',
      'factum:{"o":"1","d":-1}',
    ]) {
      expect(decodeMarker(text)).toBeUndefined();
    }
    // A marker without a count covers one record.
    expect(decodeMarker('factum:{"o":"5","d":1,"m":"x","t":1}')).toEqual({
      offset: 5n,
      count: 1,
      deliveries: 1,
      member: 'x',
      at: 1,
    });
  });
});
