import { inspect } from 'node:util';

/**
 * A value as an error message shows it: as the caller gave it, not as JSON would change it — NaN,
 * Infinity, -0, 10n, Symbol(x), undefined, functions, Maps and cycles are named for what they are,
 * strings are quoted (an unpaired surrogate escaped), and long values are cut short.
 */
export function formatValue(value: unknown): string {
  return inspect(value, {
    depth: 2,
    breakLength: Number.POSITIVE_INFINITY,
    maxArrayLength: 10,
    maxStringLength: 80,
  });
}
