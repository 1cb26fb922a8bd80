/**
 * Runs `task` for every item, items of one key one after another in their order, different keys side
 * by side, at most `concurrency` at a time. Rejects with the first error once the running tasks
 * settled (items after a failed one of its key are not started).
 */
export async function inLanes<T>(
  items: readonly T[],
  keyOf: (item: T) => string,
  concurrency: number,
  task: (item: T) => Promise<void>,
): Promise<void> {
  const lanes = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const lane = lanes.get(key);
    if (lane === undefined) lanes.set(key, [item]);
    else lane.push(item);
  }
  const queue = [...lanes.values()];
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    for (let lane = queue.shift(); lane !== undefined && failure === undefined; lane = queue.shift()) {
      for (const item of lane) {
        if (failure !== undefined) return;
        try {
          await task(item);
        } catch (error) {
          failure ??= { error };
          return;
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, queue.length)) }, worker));
  if (failure !== undefined) throw failure.error;
}
