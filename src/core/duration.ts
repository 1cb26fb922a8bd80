import { ErrorCodes, ValidationError } from './errors.js';

const UNITS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/y;

/**
 * Parses a duration such as `7d`, `12h`, `90m`, `45s`, `500ms`, `2w` or a sum of them (`1d12h`) into
 * whole milliseconds. Every number needs its unit; units are lower case; no sign, no spaces. Anything
 * else throws a ValidationError (FACTUM_INVALID_ARGUMENT) naming `field` and echoing the input.
 */
export function parseDuration(text: string, field = 'duration'): number {
  const fail = (why: string): never => {
    throw new ValidationError(
      ErrorCodes.INVALID_ARGUMENT,
      field,
      `${field} must be a duration such as 7d, 12h, 30m, 45s, 500ms or 1d12h; ${why}`,
    );
  };
  if (typeof text !== 'string') return fail(`got ${String(text)}`);
  if (text.length === 0) return fail('got an empty string');
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < text.length) {
    const at = PART.lastIndex;
    const match = PART.exec(text);
    if (match === null) {
      return fail(
        /^\d+(\.\d+)?$/.test(text.slice(at))
          ? `'${text}' has a number without a unit`
          : `cannot read '${text}' at '${text.slice(at)}'`,
      );
    }
    total += Number(match[1]) * UNITS[match[2]!]!;
  }
  const ms = Math.round(total);
  if (!Number.isSafeInteger(ms)) return fail(`'${text}' is too long`);
  return ms;
}
