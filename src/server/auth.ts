/**
 * Who calls the operator API: bearer tokens (configured by their SHA-256 hash, or read from an
 * environment variable), each with a role; the dashboard exchanges a token for a session cookie.
 * Tokens are never read from a URL.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { ErrorCodes, ValidationError } from '../core/errors.js';
import { formatValue } from '../core/format.js';

/** From least to most: each role may do everything the roles before it may. */
export const ROLES = ['viewer', 'reader', 'operator', 'admin'] as const;

/**
 * viewer: counts, lag and states, never event data. reader: event data and metadata. operator:
 * retry, skip, rebuild, saga actions. admin: the audit trail of those actions.
 */
export type Role = (typeof ROLES)[number];

export interface TokenConfig {
  /** Who holds the token: recorded as the actor of every action taken with it. */
  name: string;
  role: Role;
  /** The token's SHA-256, hex (`sha256` of the secret; the secret itself is not kept in config). */
  sha256: string;
}

export interface Principal {
  name: string;
  role: Role;
}

/** Whether `role` may do what `needed` may. */
export function allows(role: Role, needed: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(needed);
}

/** The hex SHA-256 of a token: what `tokens[].sha256` holds. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** A new random token (32 bytes, base64url). */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

function invalid(field: string, message: string): ValidationError {
  return new ValidationError(ErrorCodes.INVALID_ARGUMENT, field, message);
}

function checkRole(role: unknown, field: string): Role {
  if (!ROLES.includes(role as Role)) {
    throw invalid(field, `${field} must be one of ${ROLES.join(', ')}, got ${formatValue(role)}`);
  }
  return role as Role;
}

/**
 * Reads tokens from an environment variable's value: entries separated by commas or new lines, each
 * `name:role:secret` or `name:role:sha256:<hex>`.
 */
export function parseTokenList(value: string, source = 'the token list'): TokenConfig[] {
  const out: TokenConfig[] = [];
  for (const raw of value.split(/[,\n]/)) {
    const entry = raw.trim();
    if (entry === '') continue;
    const [name, role, ...rest] = entry.split(':');
    const secret = rest.join(':');
    if (name === undefined || name === '' || role === undefined || secret === '') {
      throw invalid(
        source,
        `${source}: each entry is name:role:secret or name:role:sha256:<hex>, got an entry of ${entry.length} characters`,
      );
    }
    const hashed = /^sha256:([0-9a-f]{64})$/i.exec(secret);
    out.push({
      name,
      role: checkRole(role, `${source} (${name})`),
      sha256: hashed?.[1] !== undefined ? hashed[1].toLowerCase() : hashToken(secret),
    });
  }
  return out;
}

/** The tokens a server accepts, checked once; lookups compare hashes in constant time. */
export class TokenSet {
  readonly #tokens: { principal: Principal; digest: Buffer }[];

  constructor(tokens: readonly TokenConfig[]) {
    this.#tokens = tokens.map((t, i) => {
      const field = `tokens[${i}]`;
      if (typeof t.name !== 'string' || t.name === '')
        throw invalid(`${field}.name`, `${field}.name must be a non-empty string`);
      if (typeof t.sha256 !== 'string' || !/^[0-9a-f]{64}$/i.test(t.sha256)) {
        throw invalid(
          `${field}.sha256`,
          `${field}.sha256 must be the token's SHA-256 in hex (64 characters)`,
        );
      }
      return {
        principal: { name: t.name, role: checkRole(t.role, `${field}.role`) },
        digest: Buffer.from(t.sha256.toLowerCase(), 'hex'),
      };
    });
  }

  get size(): number {
    return this.#tokens.length;
  }

  /** The holder of `token`, or undefined. */
  find(token: string): Principal | undefined {
    const digest = Buffer.from(hashToken(token), 'hex');
    let found: Principal | undefined;
    for (const t of this.#tokens) {
      // Every entry is compared, so the time taken says nothing about which matched.
      if (timingSafeEqual(t.digest, digest)) found = t.principal;
    }
    return found;
  }
}

export interface Session extends Principal {
  expiresAt: number;
}

/** Dashboard sessions, in memory: a restart signs everyone out. */
export class Sessions {
  readonly #sessions = new Map<string, Session>();
  readonly #ttlMs: number;

  constructor(ttlMs: number) {
    this.#ttlMs = ttlMs;
  }

  get ttlMs(): number {
    return this.#ttlMs;
  }

  open(principal: Principal, now = Date.now()): string {
    this.#sweep(now);
    const id = randomBytes(32).toString('base64url');
    this.#sessions.set(id, { ...principal, expiresAt: now + this.#ttlMs });
    return id;
  }

  find(id: string, now = Date.now()): Session | undefined {
    const session = this.#sessions.get(id);
    if (session === undefined) return undefined;
    if (session.expiresAt <= now) {
      this.#sessions.delete(id);
      return undefined;
    }
    return session;
  }

  close(id: string): void {
    this.#sessions.delete(id);
  }

  #sweep(now: number): void {
    for (const [id, s] of this.#sessions) if (s.expiresAt <= now) this.#sessions.delete(id);
  }
}
