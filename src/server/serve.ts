import type { AddressInfo } from 'node:net';
import { serve as listen, type ServerType } from '@hono/node-server';
import { ErrorCodes, ValidationError } from '../core/errors.js';
import { type AppOptions, createOperatorApp } from './app.js';
import { hashToken, newToken, parseTokenList, type Role, type TokenConfig, TokenSet } from './auth.js';

export const DEFAULT_PORT = 4000;
export const DEFAULT_HOST = '127.0.0.1';
/** The environment variable `serve()` reads tokens from by default. */
export const TOKENS_ENV = 'FACTUM_TOKENS';

export interface ServeOptions extends Omit<AppOptions, 'tokens'> {
  /** Tokens by their SHA-256 (`hashToken(secret)`), each with a name and a role. */
  tokens?: readonly TokenConfig[];
  /**
   * An environment variable holding more tokens: `name:role:secret` or `name:role:sha256:<hex>`,
   * separated by commas (default FACTUM_TOKENS; false: none).
   */
  tokensFromEnv?: string | false;
  /** Default 4000; 0 picks a free port. */
  port?: number;
  /** Default 127.0.0.1: only this machine. Bind wider only behind TLS and a firewall. */
  host?: string;
  env?: NodeJS.ProcessEnv;
}

export interface OperatorServer {
  /** `http://host:port` */
  readonly url: string;
  readonly port: number;
  /**
   * When no token was configured: a fresh admin token for this run (never stored), so the server
   * is never open without one. Undefined otherwise.
   */
  readonly generatedToken: string | undefined;
  close(): Promise<void>;
}

/** Serves the operator API and the dashboard on `host:port` (default 127.0.0.1:4000). */
export async function serve(options: ServeOptions): Promise<OperatorServer> {
  const env = options.env ?? process.env;
  const configured = [...(options.tokens ?? [])];
  const envName = options.tokensFromEnv ?? TOKENS_ENV;
  if (envName !== false && env[envName] !== undefined && env[envName] !== '') {
    configured.push(...parseTokenList(env[envName] as string, envName));
  }
  let generatedToken: string | undefined;
  if (configured.length === 0) {
    generatedToken = newToken();
    configured.push({ name: 'admin', role: 'admin' satisfies Role, sha256: hashToken(generatedToken) });
  }
  const port = options.port ?? DEFAULT_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new ValidationError(
      ErrorCodes.INVALID_ARGUMENT,
      'port',
      `port must be 0-65535, got ${String(port)}`,
    );
  }
  const host = options.host ?? DEFAULT_HOST;
  const { app, close } = createOperatorApp({ ...options, tokens: new TokenSet(configured) });
  const server = await new Promise<ServerType>((resolve, reject) => {
    const s = listen({ fetch: app.fetch, port, hostname: host }, () => resolve(s));
    s.once('error', reject);
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${shownHost}:${address.port}`,
    port: address.port,
    generatedToken,
    async close() {
      await close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      });
    },
  };
}
