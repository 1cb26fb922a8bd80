/**
 * Long operations started through the API (a projection rebuild): an id, progress as it happens,
 * the result or the error at the end. Kept in memory for an hour after they end.
 */
import { randomUUID } from 'node:crypto';

export interface Operation {
  id: string;
  kind: 'rebuild';
  target: string;
  state: 'running' | 'done' | 'failed';
  startedAt: Date;
  endedAt: Date | undefined;
  progress: Record<string, unknown> | undefined;
  result: Record<string, unknown> | undefined;
  error: string | undefined;
}

type Listener = (op: Operation) => void;

const KEEP_MS = 60 * 60 * 1000;

export class Operations {
  readonly #ops = new Map<string, Operation>();
  readonly #listeners = new Map<string, Set<Listener>>();

  get(id: string): Operation | undefined {
    return this.#ops.get(id);
  }

  list(): Operation[] {
    return [...this.#ops.values()].sort((a, b) => b.startedAt.getTime() - a.startedAt.getTime());
  }

  /** Starts `run`, which reports progress through its argument; returns the operation at once. */
  start(
    kind: Operation['kind'],
    target: string,
    run: (progress: (p: Record<string, unknown>) => void) => Promise<Record<string, unknown>>,
  ): Operation {
    this.#sweep();
    const op: Operation = {
      id: randomUUID(),
      kind,
      target,
      state: 'running',
      startedAt: new Date(),
      endedAt: undefined,
      progress: undefined,
      result: undefined,
      error: undefined,
    };
    this.#ops.set(op.id, op);
    run((p) => {
      op.progress = p;
      this.#emit(op);
    }).then(
      (result) => {
        op.state = 'done';
        op.result = result;
        op.endedAt = new Date();
        this.#emit(op);
      },
      (error: unknown) => {
        op.state = 'failed';
        op.error = error instanceof Error ? error.message : String(error);
        op.endedAt = new Date();
        this.#emit(op);
      },
    );
    return op;
  }

  /** Calls `listener` on every change of the operation; returns the unsubscribe. */
  watch(id: string, listener: Listener): () => void {
    let set = this.#listeners.get(id);
    if (set === undefined) {
      set = new Set();
      this.#listeners.set(id, set);
    }
    set.add(listener);
    return () => set.delete(listener);
  }

  #emit(op: Operation): void {
    for (const l of this.#listeners.get(op.id) ?? []) l(op);
    if (op.state !== 'running') this.#listeners.delete(op.id);
  }

  #sweep(): void {
    const now = Date.now();
    for (const [id, op] of this.#ops) {
      if (op.endedAt !== undefined && now - op.endedAt.getTime() > KEEP_MS) this.#ops.delete(id);
    }
  }
}
