import type { IncomingMessage, ServerResponse } from 'node:http';
import { register } from 'prom-client';
import type { MetricsRegistry } from './metric-set.js';

export interface MetricsHandlerOptions {
  /** The path that serves the metrics (default '/metrics'); every other path answers 404. */
  path?: string;
}

/**
 * A node:http request listener serving the registry (default: prom-client's global `register`) in its
 * exposition format at `/metrics`: `http.createServer(metricsHandler(registry)).listen(9464)`.
 * GET and HEAD only (405 otherwise); 500 with the error's message when collecting fails.
 */
export function metricsHandler(
  registry: MetricsRegistry = register,
  options: MetricsHandlerOptions = {},
): (request: IncomingMessage, response: ServerResponse) => void {
  const path = options.path ?? '/metrics';
  return (request, response) => {
    const target = (request.url ?? '/').split('?')[0];
    if (target !== path) {
      plain(response, 404, `Not found: metrics are at ${path}`);
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.setHeader('allow', 'GET, HEAD');
      plain(response, 405, 'Method not allowed');
      return;
    }
    registry.metrics().then(
      (text) => {
        response.writeHead(200, { 'content-type': registry.contentType });
        response.end(request.method === 'HEAD' ? undefined : text);
      },
      (error: unknown) => {
        plain(
          response,
          500,
          `Collecting metrics failed: ${error instanceof Error ? error.message : String(error)}`,
        );
      },
    );
  };
}

function plain(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  response.end(`${text}\n`);
}
