import type { StoredEvent } from '../core/envelope.js';

/** Something an operator should look at. */
export type ProjectionAlert =
  | { kind: 'dead-letters'; projection: string; dead: number; parked: number }
  | { kind: 'sla-breached'; projection: string; lagMs: number; maxLagMs: number; behind?: number }
  | { kind: 'sla-recovered'; projection: string; lagMs: number; maxLagMs: number };

export interface RebuildProgress {
  projection: string;
  generation: number;
  phase: 'catching-up' | 'swapping' | 'done';
  /** Events replayed so far. */
  done: number;
  /** Events to replay in all (grows while events are appended during the rebuild). */
  total: number;
  /** Events per second so far. */
  rate: number;
  /** Estimated milliseconds left (0 when done). */
  etaMs: number;
  elapsedMs: number;
}

/** Typed instrumentation events of a Projections instance (see `projections.on`). */
export interface ProjectionEvents extends Record<string, unknown> {
  alert: ProjectionAlert;
  /** A batch committed: the projection's generation now includes everything up to `position`. */
  checkpoint: { projection: string; generation: number; position: bigint; events: number };
  'dead-letter': {
    projection: string;
    id: number;
    status: 'dead' | 'parked';
    event: StoredEvent;
    error: Error | undefined;
  };
  lease: { projection: string; lease: string; owner: string; state: 'acquired' | 'lost' | 'released' };
  /** A runner hit an error it will recover from by restarting from its checkpoint. */
  error: { projection: string; error: Error };
  'rebuild.progress': RebuildProgress;
  /** The active runner found its projection paused (true), or resumed (false). */
  paused: { projection: string; paused: boolean };
}
