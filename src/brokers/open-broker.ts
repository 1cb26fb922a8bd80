/**
 * Opens a broker from a URL, the way `openStore` opens a store: the one reading of a broker URL, so an
 * application chooses its transport by configuration (`FACTUM_BROKER_URL`) and loads only that
 * adapter's driver. The URL is checked before anything connects; a bad one is a ValidationError
 * (FACTUM_INVALID_ARGUMENT) that says which forms are understood.
 */
import { ErrorCodes, ValidationError } from '../core/errors.js';
import type { Broker } from '../messaging/broker.js';

export type BrokerUrl =
  | { kind: 'sqlite'; file: string; namespace?: string }
  | { kind: 'rabbitmq'; url: string; exchange?: string }
  | { kind: 'nats'; servers: string; prefix?: string }
  | { kind: 'kafka'; brokers: string[]; topic?: string; groupIdPrefix?: string }
  | {
      kind: 'sqs';
      endpoint?: string;
      region: string;
      prefix?: string;
      fifo?: boolean;
      fanOut?: 'sns' | 'direct';
      snsEndpoint?: string;
    };

export type BrokerKind = BrokerUrl['kind'];

const FORMS =
  'sqlite:<path>, amqp://user:pass@host:port/vhost, nats://host:port, kafka://host:port[,host:port] or sqs://host:port';

/** The query parameters each kind reads (anything else is refused: it would be silently ignored). */
const PARAMETERS: Record<BrokerKind, readonly string[]> = {
  sqlite: ['namespace'],
  rabbitmq: ['exchange', 'heartbeat', 'frameMax', 'channelMax', 'locale'],
  nats: ['prefix'],
  kafka: ['topic', 'groupIdPrefix'],
  sqs: ['region', 'prefix', 'fifo', 'fanOut', 'sns', 'tls'],
};

function refuse(url: string, why: string): never {
  throw new ValidationError(
    ErrorCodes.INVALID_ARGUMENT,
    'url',
    `Cannot open broker: ${withoutPassword(url)} ${why} (expected ${FORMS})`,
  );
}

function withoutPassword(url: string): string {
  return url.replace(/^([a-z]+:\/\/[^:/@]*:)[^@/]*@/i, '$1***@');
}

function checkParameters(url: string, kind: BrokerKind, params: URLSearchParams): void {
  for (const key of params.keys()) {
    if (!PARAMETERS[kind].includes(key)) {
      refuse(url, `has a parameter ${kind} does not read: ${key} (it reads ${PARAMETERS[kind].join(', ')})`);
    }
  }
}

/** Reads a broker URL without connecting. */
export function parseBrokerUrl(url: string): BrokerUrl {
  if (typeof url !== 'string' || url === '') refuse(String(url), 'is empty');
  if (url.startsWith('sqlite:')) {
    const [path = '', query = ''] = url.slice('sqlite:'.length).split('?', 2);
    const params = new URLSearchParams(query);
    checkParameters(url, 'sqlite', params);
    if (path === '' || path === ':memory:') {
      refuse(url, 'needs a file: the SQLite transport is shared between processes through it');
    }
    const namespace = params.get('namespace');
    return { kind: 'sqlite', file: path, ...(namespace === null ? {} : { namespace }) };
  }
  if (url.startsWith('kafka://')) {
    // kafka://a:9092,b:9092: a list of hosts, which the URL parser does not take.
    const [hosts = '', query = ''] = url.slice('kafka://'.length).split('?', 2);
    const params = new URLSearchParams(query);
    checkParameters(url, 'kafka', params);
    const brokers = hosts
      .replace(/\/+$/, '')
      .split(',')
      .filter((h) => h !== '');
    if (brokers.length === 0) refuse(url, 'names no bootstrap server');
    const topic = params.get('topic');
    const groupIdPrefix = params.get('groupIdPrefix');
    return {
      kind: 'kafka',
      brokers,
      ...(topic === null ? {} : { topic }),
      ...(groupIdPrefix === null ? {} : { groupIdPrefix }),
    };
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    refuse(url, 'is not a URL');
  }
  const params = parsed.searchParams;
  switch (parsed.protocol) {
    case 'amqp:':
    case 'amqps:': {
      checkParameters(url, 'rabbitmq', params);
      const exchange = params.get('exchange');
      params.delete('exchange');
      const rest = parsed.toString();
      return { kind: 'rabbitmq', url: rest, ...(exchange === null ? {} : { exchange }) };
    }
    case 'nats:':
    case 'tls:': {
      checkParameters(url, 'nats', params);
      if (parsed.host === '') refuse(url, 'names no server');
      const prefix = params.get('prefix');
      return {
        kind: 'nats',
        servers: `${parsed.protocol}//${parsed.host}`,
        ...(prefix === null ? {} : { prefix }),
      };
    }
    case 'sqs:': {
      checkParameters(url, 'sqs', params);
      const region = params.get('region') ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
      if (region === undefined || region === '') {
        refuse(url, 'needs a region (?region=, or AWS_REGION)');
      }
      const scheme = params.get('tls') === 'true' ? 'https' : 'http';
      const fifo = params.get('fifo');
      if (fifo !== null && fifo !== 'true' && fifo !== 'false')
        refuse(url, `has fifo=${fifo} (true or false)`);
      const fanOut = params.get('fanOut');
      if (fanOut !== null && fanOut !== 'sns' && fanOut !== 'direct') {
        refuse(url, `has fanOut=${fanOut} (sns or direct)`);
      }
      const prefix = params.get('prefix');
      const sns = params.get('sns');
      return {
        kind: 'sqs',
        region,
        // sqs:// with no host: the region's own endpoint (AWS); with one, that endpoint (ElasticMQ, a VPC endpoint).
        ...(parsed.host === '' ? {} : { endpoint: `${scheme}://${parsed.host}` }),
        ...(prefix === null ? {} : { prefix }),
        ...(fifo === null ? {} : { fifo: fifo === 'true' }),
        ...(fanOut === null ? {} : { fanOut }),
        ...(sns === null ? {} : { snsEndpoint: sns }),
      };
    }
    default:
      return refuse(url, `has an unknown scheme ${parsed.protocol}`);
  }
}

export interface OpenBrokerOptions {
  /**
   * Names the application's destinations where the URL does not: the RabbitMQ exchange, the Kafka
   * topic, the NATS subject prefix, the SQS prefix and the SQLite namespace (default: each adapter's).
   */
  name?: string;
}

/**
 * Opens the broker a URL designates, loading only its adapter:
 * - `sqlite:<path>` — the SQLite transport in that file (no server; processes of one machine share it);
 * - `amqp://…` — RabbitMQ (`?exchange=`);
 * - `nats://host:port` — NATS JetStream (`?prefix=`);
 * - `kafka://host:port[,host:port]` — Kafka (`?topic=`, `?groupIdPrefix=` before each consumer group's id);
 * - `sqs://[host:port]` — SQS (`?region=`, `?prefix=`, `?fifo=`, `?fanOut=sns|direct`, `?sns=<endpoint>`),
 *   credentials from the SDK's provider chain.
 */
export async function openBroker(url: string, options: OpenBrokerOptions = {}): Promise<Broker> {
  const target = parseBrokerUrl(url);
  const name = options.name;
  switch (target.kind) {
    case 'sqlite': {
      const { createSqliteBroker } = await import('../messaging/sqlite-broker/index.js');
      const namespace = target.namespace ?? name;
      return createSqliteBroker({ file: target.file, ...(namespace === undefined ? {} : { namespace }) });
    }
    case 'rabbitmq': {
      const { createRabbitMqBroker } = await import('./rabbitmq/index.js');
      const exchange = target.exchange ?? name;
      return createRabbitMqBroker({ url: target.url, ...(exchange === undefined ? {} : { exchange }) });
    }
    case 'nats': {
      const { createNatsBroker } = await import('./nats/index.js');
      const prefix = target.prefix ?? name;
      return createNatsBroker({ servers: target.servers, ...(prefix === undefined ? {} : { prefix }) });
    }
    case 'kafka': {
      const { createKafkaBroker } = await import('./kafka/index.js');
      const topic = target.topic ?? name;
      return createKafkaBroker({
        brokers: target.brokers,
        ...(topic === undefined ? {} : { topic }),
        ...(target.groupIdPrefix === undefined ? {} : { groupIdPrefix: target.groupIdPrefix }),
      });
    }
    case 'sqs': {
      const { createSqsBroker } = await import('./sqs/index.js');
      const prefix = target.prefix ?? name?.replaceAll('-', '_');
      return createSqsBroker({
        region: target.region,
        ...(target.endpoint === undefined ? {} : { endpoint: target.endpoint }),
        ...(target.snsEndpoint === undefined ? {} : { snsEndpoint: target.snsEndpoint }),
        ...(prefix === undefined ? {} : { prefix }),
        ...(target.fifo === undefined ? {} : { fifo: target.fifo }),
        ...(target.fanOut === undefined ? {} : { fanOut: target.fanOut }),
      });
    }
  }
}
