import { ErrorCodes, ValidationError } from '../../core/errors.js';
import type { GroupOptions } from '../../messaging/broker.js';

/**
 * One token of a routing key or subject. Letters, digits, '-' and '_' stay as they are; anything else
 * (including the separator '.', the wildcards '*', '#', '>', and '~' itself) becomes '~' and two hex
 * digits per UTF-8 byte, so distinct names never share a token and no name can act as a wildcard.
 */
export function routingToken(name: string): string {
  if (/^[A-Za-z0-9_-]+$/.test(name)) return name;
  let out = '';
  for (const ch of name) {
    if (/^[A-Za-z0-9_-]$/.test(ch)) out += ch;
    else for (const byte of Buffer.from(ch, 'utf8')) out += `~${byte.toString(16).padStart(2, '0')}`;
  }
  return out.length === 0 ? '~' : out;
}

/** `<category>.<type>` for one event. */
export function routingKeyOf(category: string, type: string): string {
  return `${routingToken(category)}.${routingToken(type)}`;
}

/**
 * The `<category>.<type>` patterns a group subscribes to, with `any` as the single-token wildcard:
 * every category × every type; a category alone is `<category>.<any>`, a type alone `<any>.<type>`.
 */
export function routingPatterns(options: GroupOptions, any: string): string[] {
  const categories = options.categories?.map(routingToken) ?? [any];
  const types = options.types?.map(routingToken) ?? [any];
  const patterns: string[] = [];
  for (const c of categories) for (const t of types) patterns.push(`${c}.${t}`);
  return patterns;
}

/** A group name fit for a queue, durable consumer or stream name: letters, digits, '-', '_' only. */
export function assertName(kind: string, name: string): void {
  if (typeof name !== 'string' || !/^[A-Za-z0-9_-]{1,200}$/.test(name)) {
    throw new ValidationError(
      ErrorCodes.INVALID_ARGUMENT,
      kind,
      `${kind} must be 1–200 letters, digits, '-' or '_', got ${String(name)}`,
    );
  }
}
