import type { MetricsRegistry } from 'factum/observability';

/** One scrape of a registry: the value of a series by metric name and labels (undefined when absent). */
export type Scrape = ((name: string, labels?: Record<string, string>) => number | undefined) & {
  text: string;
};

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

function key(name: string, labels: Record<string, string>): string {
  const parts = Object.entries(labels)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`);
  return `${name}{${parts.join(',')}}`;
}

/** Scrapes the registry as Prometheus would (its text format) and parses the samples. */
export async function scrape(registry: MetricsRegistry): Promise<Scrape> {
  const text = await registry.metrics();
  return parse(text);
}

export function parse(text: string): Scrape {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = LINE.exec(line);
    if (match === null) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, k, v] of (match[2] ?? '').matchAll(LABEL)) labels[k!] = JSON.parse(`"${v}"`) as string;
    samples.set(key(match[1]!, labels), Number(match[3]));
  }
  const read = (name: string, labels: Record<string, string> = {}) => samples.get(key(name, labels));
  return Object.assign(read, { text });
}
