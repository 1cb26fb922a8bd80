import { ProjectionNotFoundError } from '../core/errors.js';
import type { ProjectionRecord, ProjectionStorage } from './storage.js';

/** Where a projection stands, read from the database (what `factum lag` prints). */
export interface ProjectionStatus {
  name: string;
  mode: 'async' | 'inline';
  /** The definition version the live generation was built with. */
  version: number;
  /** The generation readers see. */
  generation: number;
  /** Checkpoint of the live generation (inline projections: the head; they commit with the append). */
  position: bigint;
  /** Position of the last event in the log. */
  head: bigint;
  /** Events in the log after the checkpoint. */
  behind: number;
  /** Age of the oldest event not yet processed, in ms (0 when caught up). */
  lagMs: number;
  sla: { maxLagMs: number } | null;
  /** lagMs is above the SLA's maxLagMs. */
  breached: boolean;
  /** Dead letters (events the handler kept failing on) of the live generation. */
  deadLetters: number;
  /** Events parked behind a dead letter of the same ordering key. */
  parked: number;
  /** A rebuild under way: the generation it writes and how far it got. */
  rebuilding: { generation: number; position: bigint; behind: number } | null;
  /** Set while an operator has paused the projection: its runner applies nothing (its lag grows). */
  paused: { at: Date; by: string; reason: string } | null;
  /** Who runs the projection (async): the lease holder and whether its lease is current. */
  runner: { owner: string; expiresAt: Date; alive: boolean } | null;
}

/** The lease name of a projection's single active runner. */
export function runnerLeaseName(projection: string): string {
  return `projection:${projection}`;
}

/** The checkpoint name of one generation of a projection (in the follow storage's checkpoint table). */
export function projectionCheckpoint(projection: string, generation: number): string {
  return `projection:${projection}:${generation}`;
}

/** The lease name of a projection's rebuild (one at a time). */
export function rebuildLeaseName(projection: string): string {
  return `rebuild:${projection}`;
}

/** Reads the status of one projection (`name`) or of all, by the storage's clock or `now`. */
export async function readStatus(
  storage: ProjectionStorage,
  options: { name?: string; now?: number } = {},
): Promise<ProjectionStatus[]> {
  const rows = await storage.read(async (tx) => {
    let records: ProjectionRecord[];
    if (options.name !== undefined) {
      const record = await tx.getProjection(options.name);
      if (record === undefined) throw new ProjectionNotFoundError(`projection ${options.name}`);
      records = [record];
    } else {
      records = await tx.listProjections();
    }
    const out = [];
    for (const record of records) {
      const position =
        (await tx.getCheckpoint(projectionCheckpoint(record.name, record.liveGeneration))) ?? 0n;
      const building =
        record.buildingGeneration === null
          ? null
          : {
              generation: record.buildingGeneration,
              position:
                (await tx.getCheckpoint(projectionCheckpoint(record.name, record.buildingGeneration))) ?? 0n,
            };
      const counts = await tx.countDeadLetters(record.name, record.liveGeneration);
      const lease = await tx.getLease(runnerLeaseName(record.name));
      out.push({ record, position, building, counts, lease });
    }
    return out;
  });
  const now = options.now ?? storage.now();
  const head = await storage.head();
  const statuses: ProjectionStatus[] = [];
  for (const { record, position, building, counts, lease } of rows) {
    const inline = record.mode === 'inline';
    const checkpoint = inline ? head : position;
    const behind = inline ? 0 : await storage.countEventsAfter(position);
    let lagMs = 0;
    if (behind > 0) {
      const oldest = (await storage.store.readAll({ after: position, limit: 1 })).events[0];
      if (oldest !== undefined) lagMs = Math.max(0, now - oldest.timestamp.getTime());
    }
    const sla = record.slaMaxLagMs === null ? null : { maxLagMs: record.slaMaxLagMs };
    statuses.push({
      name: record.name,
      mode: record.mode,
      version: record.version,
      generation: record.liveGeneration,
      position: checkpoint,
      head,
      behind,
      lagMs,
      sla,
      breached: sla !== null && lagMs > sla.maxLagMs,
      deadLetters: counts.dead,
      parked: counts.parked,
      paused: record.paused,
      rebuilding:
        building === null ? null : { ...building, behind: await storage.countEventsAfter(building.position) },
      runner:
        inline || lease === undefined
          ? null
          : { owner: lease.owner, expiresAt: new Date(lease.expiresAt), alive: lease.expiresAt > now },
    });
  }
  return statuses;
}
