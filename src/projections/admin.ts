import { ErrorCodes, NotSupportedError, ProjectionNotFoundError, ValidationError } from '../core/errors.js';
import type { EventStore } from '../core/store.js';
import { isPostgresStore } from '../stores/postgres/kit.js';
import { isSqliteStore } from '../stores/sqlite/kit.js';
import { requestDeadLetterAction } from './dead-letter-actions.js';
import { postgresProjectionStorage } from './postgres/storage.js';
import { documentReader } from './read-model.js';
import { sqliteProjectionStorage } from './sqlite/storage.js';
import { type ProjectionStatus, readStatus } from './status.js';
import {
  type DeadLetter,
  type DeadLetterQuery,
  isProjectionStorage,
  type ProjectionStorage,
} from './storage.js';
import type { DocumentReader } from './types.js';

/** A store whose projection storage Factum finds by itself (SQLite, PostgreSQL), or a projection storage. */
export type ProjectionsTarget = EventStore | ProjectionStorage;

/**
 * The projection storage of a store: the SQLite or PostgreSQL store's own database. A storage passes through. For
 * other stores pass a storage (memoryProjectionStorage(store) for the memory store).
 */
export function projectionStorageFor(target: ProjectionsTarget): ProjectionStorage {
  if (isProjectionStorage(target)) return target;
  if (isSqliteStore(target)) return sqliteProjectionStorage(target);
  if (isPostgresStore(target)) return postgresProjectionStorage(target);
  throw new NotSupportedError(
    'projections without an explicit storage (pass { storage: memoryProjectionStorage(store) } for the memory store)',
    'given',
  );
}

/**
 * Status of every projection (or of `name`) from the database alone: checkpoint, head, events behind,
 * age of the oldest unprocessed event, SLA breach, dead letters, rebuild under way, runner lease. What
 * `factum lag` prints; it exits non-zero when any status has `breached`.
 */
export function projectionStatus(
  target: ProjectionsTarget,
  options: { name?: string; now?: number } = {},
): Promise<ProjectionStatus[]> {
  return readStatus(projectionStorageFor(target), options);
}

/** Dead and parked events, oldest first (default: every projection, at most 100). What `factum dlq list` prints. */
export function listDeadLetters(
  target: ProjectionsTarget,
  query: DeadLetterQuery = {},
): Promise<DeadLetter[]> {
  const storage = projectionStorageFor(target);
  return storage.read((tx) => tx.listDeadLetters({ limit: 100, ...query }));
}

/**
 * Asks the projection's active runner to apply a dead letter again (after a fix is deployed); on
 * success the events parked behind it follow in order. Returns the dead letter with its pending action.
 * `factum dlq retry <id>`.
 */
export function retryDeadLetter(target: ProjectionsTarget, id: number): Promise<DeadLetter> {
  return requestDeadLetterAction(projectionStorageFor(target), id, 'retry');
}

/** Asks the projection's active runner to drop a dead letter and release the events parked behind it. `factum dlq skip <id>`. */
export function skipDeadLetter(target: ProjectionsTarget, id: number): Promise<DeadLetter> {
  return requestDeadLetterAction(projectionStorageFor(target), id, 'skip');
}

/**
 * Pauses a projection: its active runner (in any process) stops applying events at its next batch and
 * keeps its lease until `resumeProjection`; readers keep the read model as it was. Recorded with who
 * and why. `factum projections pause <name>`.
 */
export async function pauseProjection(
  target: ProjectionsTarget,
  name: string,
  by: { actor: string; reason: string },
): Promise<void> {
  if (typeof by.reason !== 'string' || by.reason.trim() === '') {
    throw new ValidationError(ErrorCodes.INVALID_ARGUMENT, 'reason', 'pausing a projection needs a reason');
  }
  const storage = projectionStorageFor(target);
  const paused = { at: new Date(storage.now()), by: by.actor, reason: by.reason.trim() };
  if (!(await storage.transaction((tx) => tx.setPaused(name, paused)))) {
    throw new ProjectionNotFoundError(`projection ${name}`);
  }
}

/** Resumes a paused projection: its runner carries on from its checkpoint. Resuming a running one does nothing. */
export async function resumeProjection(target: ProjectionsTarget, name: string): Promise<void> {
  const storage = projectionStorageFor(target);
  if (!(await storage.transaction((tx) => tx.setPaused(name, null)))) {
    throw new ProjectionNotFoundError(`projection ${name}`);
  }
}

/** Reads a collection of the live generation (no projection definitions needed). */
export function readDocuments<T extends object = Record<string, unknown>>(
  target: ProjectionsTarget,
  collection: string,
): DocumentReader<T> {
  return documentReader<T>(projectionStorageFor(target), collection);
}
