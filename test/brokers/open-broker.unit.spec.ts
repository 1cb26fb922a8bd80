import { describe, expect, it } from 'vitest';
import { parseBrokerUrl } from '../../src/brokers/open-broker.js';
import { ErrorCodes, isFactumError } from '../../src/core/errors.js';

function refusal(url: string): Error {
  try {
    parseBrokerUrl(url);
  } catch (error) {
    expect(isFactumError(error, ErrorCodes.INVALID_ARGUMENT), String(error)).toBe(true);
    return error as Error;
  }
  throw new Error(`${url} was accepted`);
}

describe('parseBrokerUrl', () => {
  it('reads each kind of broker URL', () => {
    expect(parseBrokerUrl('sqlite:./data/bus.db')).toEqual({ kind: 'sqlite', file: './data/bus.db' });
    expect(parseBrokerUrl('sqlite:/tmp/bus.db?namespace=shop')).toEqual({
      kind: 'sqlite',
      file: '/tmp/bus.db',
      namespace: 'shop',
    });
    expect(parseBrokerUrl('amqp://guest:guest@127.0.0.1:5672/?exchange=shop')).toEqual({
      kind: 'rabbitmq',
      url: 'amqp://guest:guest@127.0.0.1:5672/',
      exchange: 'shop',
    });
    expect(parseBrokerUrl('nats://127.0.0.1:4222?prefix=shop')).toEqual({
      kind: 'nats',
      servers: 'nats://127.0.0.1:4222',
      prefix: 'shop',
    });
    expect(parseBrokerUrl('kafka://a:9092,b:9092?topic=shop.events')).toEqual({
      kind: 'kafka',
      brokers: ['a:9092', 'b:9092'],
      topic: 'shop.events',
    });
    expect(parseBrokerUrl('kafka://a:9092?topic=shop&groupIdPrefix=shop.')).toEqual({
      kind: 'kafka',
      brokers: ['a:9092'],
      topic: 'shop',
      groupIdPrefix: 'shop.',
    });
    expect(parseBrokerUrl('sqs://127.0.0.1:9324?region=eu-west-1&prefix=shop&fifo=true')).toEqual({
      kind: 'sqs',
      region: 'eu-west-1',
      endpoint: 'http://127.0.0.1:9324',
      prefix: 'shop',
      fifo: true,
    });
  });

  it('refuses what it cannot open, naming the forms it knows and hiding the password', () => {
    expect(refusal('redis://127.0.0.1:6379').message).toMatch(
      /unknown scheme redis:.*expected sqlite:<path>/,
    );
    expect(refusal('sqlite::memory:').message).toMatch(/needs a file/);
    expect(refusal('kafka://127.0.0.1:9092?topics=x').message).toMatch(
      /parameter kafka does not read: topics/,
    );
    expect(refusal('sqs://127.0.0.1:9324?region=eu-west-1&fifo=yes').message).toMatch(/fifo=yes/);
    const secret = refusal('amqp://guest:s3cret@127.0.0.1:5672/?exchang=x').message;
    expect(secret).not.toContain('s3cret');
    expect(secret).toContain('guest:***@');
    expect(refusal('').message).toMatch(/is empty/);
  });
});
