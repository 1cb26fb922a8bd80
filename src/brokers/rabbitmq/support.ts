import type * as Amqp from 'amqplib';
import { BrokerUnavailableError } from '../../core/errors.js';
import { translateDriverError } from '../shared/errors.js';

export function waitForDrain(channel: Amqp.ConfirmChannel): Promise<void> {
  return new Promise((resolve, reject) => {
    const onDrain = () => {
      channel.off('close', onClose);
      resolve();
    };
    const onClose = () => {
      channel.off('drain', onDrain);
      reject(new BrokerUnavailableError('The RabbitMQ channel closed while publishing'));
    };
    channel.once('drain', onDrain);
    channel.once('close', onClose);
  });
}

export function withSignal<T>(promise: Promise<T>, signal: AbortSignal, onTimeout: () => Error): Promise<T> {
  if (signal.aborted) return Promise.reject(onTimeout());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(onTimeout());
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/** Driver errors become Factum errors: a lost connection or channel is retriable. */
export function translate(cause: unknown, operation: string): Error {
  return translateDriverError('RabbitMQ', cause, operation);
}

export function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}
