import { ErrorCodes, MigrationRequiredError, StoreCorruptError, ValidationError } from '../core/errors.js';

/** Migration versions: an inclusive range, or a list. */
export type MigrationVersions = { readonly from: number; readonly to: number } | readonly number[];

/**
 * The migration numbers of each area of Factum: those of its migrations and those it keeps for later
 * ones. A number is never reused or moved to another area. An area registers its own migrations with
 * its own numbers; a number no area owns, registered or not, was given out by a newer Factum.
 */
export const MIGRATION_NUMBERS = {
  store: { from: 1, to: 4 },
  projections: { from: 5, to: 9 },
  follow: [10, 11, 15, 16, 17, 18, 19],
  messaging: [12, 13, 14, 20, 21, 22, 23, 24],
  server: [25, 26, 27, 28, 29],
} as const satisfies Record<string, MigrationVersions>;

/** The area that owns the event tables: its migrations are checked whenever a store opens. */
export const STORE_AREA = 'store';

export interface NumberedMigration {
  readonly version: number;
  readonly name: string;
}

/** What an area registers: its name, every version it owns, and its migrations. */
export interface MigrationArea<M extends NumberedMigration> {
  /** 'store', 'projections', 'follow', 'messaging'…: named in errors. */
  readonly area: string;
  /** The versions this area owns: those of its migrations and those it keeps for later ones. */
  readonly versions: MigrationVersions;
  readonly migrations: readonly M[];
}

interface RegisteredArea<M extends NumberedMigration> {
  readonly area: string;
  readonly owns: ReadonlySet<number>;
  /** In version order. */
  readonly migrations: readonly M[];
  readonly latest: number;
}

/** How applying treats areas whose applied versions go beyond what this Factum knows. */
export interface ApplyPolicy {
  /** The areas to bring up to date. */
  readonly areas: readonly string[];
  /** Which of them refuse when newer (StoreCorruptError); the others are skipped, and refuse at their use. */
  readonly refuseNewer: readonly string[];
  /** Whether an applied version no area owns refuses (StoreCorruptError). */
  readonly refuseUnknown: boolean;
}

/**
 * The migrations of one kind of database, registered per area. Applying brings the listed areas up
 * to date in version order; the refusal of a database migrated by a newer Factum is per area.
 */
export class MigrationRegistry<M extends NumberedMigration> {
  readonly #areas = new Map<string, RegisteredArea<M>>();

  /**
   * Registers (or replaces) an area's migrations. Refused: a migration outside the area's versions,
   * two migrations with one version, versions another area owns.
   */
  register(area: MigrationArea<M>): void {
    const owns = expand(area.versions);
    const invalid = (message: string) =>
      new ValidationError(ErrorCodes.INVALID_ARGUMENT, 'versions', `Migrations of ${area.area}: ${message}`);
    if (typeof area.area !== 'string' || area.area.length === 0) throw invalid('the area needs a name');
    const seen = new Set<number>();
    for (const m of area.migrations) {
      if (!owns.has(m.version)) throw invalid(`migration ${m.version} (${m.name}) is outside its versions`);
      if (seen.has(m.version)) throw invalid(`two migrations have version ${m.version}`);
      seen.add(m.version);
    }
    const others: [string, ReadonlySet<number>][] = [
      ...Object.entries(MIGRATION_NUMBERS).map(([name, v]): [string, ReadonlySet<number>] => [
        name,
        expand(v),
      ]),
      ...[...this.#areas.values()].map((a): [string, ReadonlySet<number>] => [a.area, a.owns]),
    ];
    for (const [name, versions] of others) {
      if (name === area.area) continue;
      const taken = [...owns].find((v) => versions.has(v));
      if (taken !== undefined) throw invalid(`version ${taken} belongs to ${name}`);
    }
    const migrations = [...area.migrations].sort((a, b) => a.version - b.version);
    this.#areas.set(area.area, {
      area: area.area,
      owns,
      migrations,
      latest: migrations.at(-1)?.version ?? 0,
    });
  }

  /** The names of the registered areas. */
  areas(): string[] {
    return [...this.#areas.keys()];
  }

  has(area: string): boolean {
    return this.#areas.has(area);
  }

  /** The migrations of `areas` (default: every registered one), in version order. */
  migrations(areas: readonly string[] = this.areas()): M[] {
    return areas.flatMap((name) => this.#area(name).migrations).sort((a, b) => a.version - b.version);
  }

  /**
   * What applying under `policy` does to a database that has `applied`: the migrations to run, in
   * version order, and the areas that are up to date once they ran. Throws StoreCorruptError (naming
   * `where`) for what the policy refuses; an area that is newer and not refused is left out.
   */
  plan(
    applied: ReadonlySet<number>,
    policy: ApplyPolicy,
    where: string,
  ): { pending: M[]; current: string[] } {
    if (policy.refuseUnknown) this.assertKnown(applied, where);
    const current = policy.areas.filter((name) => {
      const newer = this.#newer(name, applied, where);
      if (newer !== undefined && policy.refuseNewer.includes(name)) throw newer;
      return newer === undefined;
    });
    return { pending: this.migrations(current).filter((m) => !applied.has(m.version)), current };
  }

  /**
   * Checks, without changing anything, that `areas` have every migration they need: throws
   * StoreCorruptError when one is newer than this Factum knows, MigrationRequiredError (with `hint`)
   * when some are missing.
   */
  check(applied: ReadonlySet<number>, areas: readonly string[], where: string, hint: string): void {
    for (const name of areas) {
      const newer = this.#newer(name, applied, where);
      if (newer !== undefined) throw newer;
    }
    const missing = this.migrations(areas).filter((m) => !applied.has(m.version));
    if (missing.length === 0) return;
    const owned = [...applied].filter((v) => areas.some((name) => this.#area(name).owns.has(v)));
    const required = Math.max(...areas.map((name) => this.#area(name).latest));
    throw new MigrationRequiredError(
      `${where} (${areas.join(', ')})`,
      Math.max(0, ...owned),
      required,
      `${hint} (missing: ${missing.map((m) => m.version).join(', ')})`,
    );
  }

  /** Throws StoreCorruptError for an applied version no area owns: a newer Factum gave it out. */
  assertKnown(applied: ReadonlySet<number>, where: string): void {
    const known = (v: number) =>
      Object.values(MIGRATION_NUMBERS).some((versions) => expand(versions).has(v)) ||
      [...this.#areas.values()].some((a) => a.owns.has(v));
    const unknown = [...applied].filter((v) => !known(v));
    if (unknown.length > 0) {
      throw new StoreCorruptError(
        `${where} is at migration ${Math.max(...unknown)}, newer than this version of Factum knows; upgrade Factum`,
      );
    }
  }

  #newer(name: string, applied: ReadonlySet<number>, where: string): StoreCorruptError | undefined {
    const area = this.#area(name);
    const beyond = [...applied].filter((v) => area.owns.has(v) && v > area.latest);
    if (beyond.length === 0) return undefined;
    return new StoreCorruptError(
      `${where} is at migration ${Math.max(...beyond)} of ${name}, newer than this version of Factum knows (${area.latest}); upgrade Factum`,
    );
  }

  #area(name: string): RegisteredArea<M> {
    const area = this.#areas.get(name);
    if (area === undefined) {
      throw new ValidationError(
        ErrorCodes.INVALID_ARGUMENT,
        'area',
        `No migrations are registered for ${name}`,
      );
    }
    return area;
  }
}

function expand(versions: MigrationVersions): Set<number> {
  if ('from' in versions) {
    const range = versions as { from: number; to: number };
    const all = new Set<number>();
    for (let v = range.from; v <= range.to; v++) all.add(v);
    return all;
  }
  return new Set(versions as readonly number[]);
}
