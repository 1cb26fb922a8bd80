import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { StoredEvent } from '../core/envelope.js';
import { newEventId } from '../core/ids.js';
import type { Broker, ConsumeOptions, Consumer, MessageHandler } from '../messaging/broker.js';
import { sleep } from './helpers.js';

export async function consumeAll(
  broker: Broker,
  options: ConsumeOptions,
  handler: MessageHandler,
): Promise<Consumer> {
  await broker.declareGroup(options);
  return broker.consume(options, handler);
}

export function spawnWorker(workerModule: string, args: string[]) {
  const self = fileURLToPath(import.meta.url).replace(/broker-helpers\.(ts|js)$/, 'broker-contract.$1');
  const ts = self.endsWith('.ts');
  const worker = self.replace(/broker-contract\.(ts|js)$/, `broker-worker.${ts ? 'ts' : 'js'}`);
  const nodeArgs = ts || workerModule.endsWith('.ts') ? ['--import', 'tsx'] : [];
  return spawn(process.execPath, [...nodeArgs, worker, workerModule, ...args], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

/** Events of several streams, interleaved round-robin, each stream at versions 1..perStream. */
export function interleaved(streams: readonly string[], perStream: number): StoredEvent[] {
  const events: StoredEvent[] = [];
  let position = 1000n;
  for (let v = 1; v <= perStream; v++) {
    for (const streamId of streams) {
      events.push({
        id: newEventId(),
        type: v === 1 ? 'OrderPlaced' : 'ItemAdded',
        streamId,
        category: streamId.split('-')[0]!,
        version: v,
        position: position++,
        schemaVersion: 1,
        timestamp: new Date(),
        data: { streamId, v },
        metadata: { correlationId: streamId },
      });
    }
  }
  return events;
}

export async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting until ${what}`);
    await sleep(25);
  }
}

export function total(map: Map<string, number[]>): number {
  let n = 0;
  for (const v of map.values()) n += v.length;
  return n;
}
