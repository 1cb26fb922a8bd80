import { ErrorCodes, TransactionClosedError, ValidationError } from '../../core/errors.js';
import { TransactionGate } from '../../core/transaction-gate.js';
import type { FollowStorage, FollowTx, LeaseRecord } from '../storage.js';

/** The leases and checkpoints of one memory follow storage. */
export interface MemoryFollowState {
  readonly leases: Map<string, LeaseRecord>;
  readonly checkpoints: Map<string, bigint>;
}

/**
 * Leases and checkpoints in process memory. `undo` collects the steps that roll a transaction back;
 * a read has none (and refuses writes). `MemoryStorageTx` (projections) extends it.
 */
export class MemoryFollowTx implements FollowTx {
  readonly #state: MemoryFollowState;
  readonly #undo: (() => void)[] | undefined;
  #open = true;

  constructor(state: MemoryFollowState, undo: (() => void)[] | undefined) {
    this.#state = state;
    this.#undo = undo;
  }

  /** Throws once the transaction has ended. */
  protected guard(operation: string): void {
    if (!this.#open) throw new TransactionClosedError(operation);
  }

  /** Records how to undo a write; refuses writes in a read. */
  protected record(step: () => void): void {
    if (this.#undo === undefined) {
      throw new ValidationError(ErrorCodes.INVALID_ARGUMENT, 'read', 'Cannot write inside a read');
    }
    this.#undo.push(step);
  }

  close(): void {
    this.#open = false;
  }

  /** Sets `key` of `map` to `value` (delete for undefined), undoably. */
  protected write<K, V>(operation: string, map: Map<K, V>, key: K, value: V | undefined): void {
    this.guard(operation);
    const had = map.has(key);
    const before = map.get(key);
    this.record(() => {
      if (had) map.set(key, before as V);
      else map.delete(key);
    });
    if (value === undefined) map.delete(key);
    else map.set(key, value);
  }

  async getLease(name: string): Promise<LeaseRecord | undefined> {
    this.guard('read a lease');
    const lease = this.#state.leases.get(name);
    return lease === undefined ? undefined : { ...lease };
  }

  async putLease(lease: LeaseRecord): Promise<void> {
    this.write('write a lease', this.#state.leases, lease.name, { ...lease });
  }

  async getCheckpoint(name: string): Promise<bigint | undefined> {
    this.guard('read a checkpoint');
    return this.#state.checkpoints.get(name);
  }

  /** A position lower than the saved one is ignored: a checkpoint never moves back. */
  async setCheckpoint(name: string, position: bigint): Promise<void> {
    const saved = this.#state.checkpoints.get(name);
    if (saved !== undefined && saved >= position) {
      this.guard('save a checkpoint');
      return;
    }
    this.write('save a checkpoint', this.#state.checkpoints, name, position);
  }

  async deleteCheckpoint(name: string): Promise<void> {
    this.write('delete a checkpoint', this.#state.checkpoints, name, undefined);
  }
}

/** One memory follow storage's gate and state, shared with the memory projection storage of the same key. */
export interface MemoryFollowShared {
  readonly gate: TransactionGate;
  readonly state: MemoryFollowState;
}

const shared = new WeakMap<object, MemoryFollowShared>();

/** The gate and state of `key`'s memory follow storage (made on first use). */
export function memoryFollowShared(key: object): MemoryFollowShared {
  let s = shared.get(key);
  if (s === undefined) {
    s = { gate: new TransactionGate(), state: { leases: new Map(), checkpoints: new Map() } };
    shared.set(key, s);
  }
  return s;
}

/**
 * Runs `task` in a memory transaction on `gate`: `makeTx(undo)` builds the tx, whose writes are
 * undone in reverse order when the task throws.
 */
export function memoryTransaction<Tx extends { close(): void }, T>(
  gate: TransactionGate,
  makeTx: (undo: (() => void)[]) => Tx,
  task: (tx: Tx) => Promise<T>,
): Promise<T> {
  return gate.run(async () => {
    const undo: (() => void)[] = [];
    const tx = makeTx(undo);
    try {
      return await task(tx);
    } catch (error) {
      for (let i = undo.length - 1; i >= 0; i--) undo[i]!();
      throw error;
    } finally {
      tx.close();
    }
  });
}

/** Runs `task` against the current state (no writes); inside a transaction's own context at once. */
export function memoryRead<Tx extends { close(): void }, T>(
  gate: TransactionGate,
  makeTx: () => Tx,
  task: (tx: Tx) => Promise<T>,
): Promise<T> {
  const run = async () => {
    const tx = makeTx();
    try {
      return await task(tx);
    } finally {
      tx.close();
    }
  };
  return gate.inside() ? run() : gate.run(run);
}

/** The follow storage in process memory of `key` (an event store, or any object): nothing survives the process. */
export function memoryFollowStorage(key: object): FollowStorage {
  const { gate, state } = memoryFollowShared(key);
  return {
    dialect: 'memory',
    transaction<T>(task: (tx: FollowTx) => Promise<T>) {
      return memoryTransaction<MemoryFollowTx, T>(gate, (undo) => new MemoryFollowTx(state, undo), task);
    },
    read<T>(task: (tx: FollowTx) => Promise<T>) {
      return memoryRead<MemoryFollowTx, T>(gate, () => new MemoryFollowTx(state, undefined), task);
    },
    now: () => Date.now(),
  };
}
