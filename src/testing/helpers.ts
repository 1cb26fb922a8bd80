/**
 * The small helpers the conformance suites share. The tests of this repository use them too, through
 * test/support/helpers.ts: shipped code never imports the tests, so the one copy lives here.
 */

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The integers from `from` to `to`, both included: range(1, 3) → [1, 2, 3]. */
export function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

/** Polls `condition` every few milliseconds until it holds; throws when it still does not after `timeoutMs`. */
export async function waitUntil(
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 5000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline)
      throw new Error(`condition not met within ${timeoutMs} ms: ${String(condition)}`);
    await sleep(5);
  }
}
