import type Database from 'better-sqlite3';
import { statement } from '../../../stores/sqlite/kit.js';

export interface GroupRow {
  grp: string;
  categories: string | null;
  types: string | null;
}

/** Declares a group, or replaces the filters of a declared one (they apply to later publishes). */
export function upsertGroup(
  db: Database.Database,
  namespace: string,
  group: string,
  categories: readonly string[] | undefined,
  types: readonly string[] | undefined,
  now: number,
): void {
  statement(
    db,
    `INSERT INTO factum_broker_groups (namespace, grp, categories, types, declared_at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (namespace, grp) DO UPDATE SET categories = excluded.categories, types = excluded.types`,
  ).run(
    namespace,
    group,
    categories === undefined ? null : JSON.stringify(categories),
    types === undefined ? null : JSON.stringify(types),
    now,
  );
}

/** The namespace's groups with their filters (JSON arrays, null: no filter). */
export function selectGroups(db: Database.Database, namespace: string): GroupRow[] {
  return statement<GroupRow>(
    db,
    'SELECT grp, categories, types FROM factum_broker_groups WHERE namespace = ? ORDER BY grp',
  ).all(namespace);
}
