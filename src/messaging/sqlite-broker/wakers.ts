/**
 * In-process wake-ups: a publish or an acknowledgement wakes, at once, the idle consumers of the same
 * file and namespace in this process (any connection). Consumers in other processes find the change
 * at their next poll.
 */
import { resolve } from 'node:path';

const listeners = new Map<string, Set<() => void>>();

/** The key of a database file and namespace (':memory:' databases each get their own key). */
export function wakeKey(file: string, namespace: string, fallback: string): string {
  const where = file === '' || file === ':memory:' ? `memory:${fallback}` : resolve(file);
  return `${where}\u0000${namespace}`;
}

/** Calls `wake` whenever `notify(key)` is called; returns the function that stops it. */
export function listen(key: string, wake: () => void): () => void {
  let set = listeners.get(key);
  if (set === undefined) {
    set = new Set();
    listeners.set(key, set);
  }
  set.add(wake);
  return () => {
    set.delete(wake);
    if (set.size === 0 && listeners.get(key) === set) listeners.delete(key);
  };
}

export function notify(key: string): void {
  const set = listeners.get(key);
  if (set === undefined) return;
  for (const wake of [...set]) wake();
}
