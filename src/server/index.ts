/**
 * factum/server: the operator API (`/api/v1`) and the dashboard, served by the application itself:
 * `serve({ store, projections, relays, … })`, or `createOperatorApp` to mount the Hono app in your own.
 */
export type { AppOptions, OperatorApp } from './app.js';
export { createOperatorApp, SESSION_COOKIE } from './app.js';
export type { AuditEntry } from './audit.js';
export { AUDIT_CATEGORY, AUDIT_EVENT, auditStreamId, recordAction } from './audit.js';
export type { Principal, Role, TokenConfig } from './auth.js';
export { allows, hashToken, newToken, parseTokenList, ROLES, TokenSet } from './auth.js';
export type {
  CorrelationQuery,
  StoreBrowser,
  StreamPage,
  StreamQuery,
  StreamSummary,
} from './browse/index.js';
export { storeBrowser } from './browse/index.js';
export type { AppCheck } from './context.js';
export type { EventJson } from './json.js';
export { eventJson } from './json.js';
export type { OperatorServer, ServeOptions } from './serve.js';
export { DEFAULT_HOST, DEFAULT_PORT, serve, TOKENS_ENV } from './serve.js';
