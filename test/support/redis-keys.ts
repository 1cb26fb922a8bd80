// Deleting keys by pattern, for tests and benchmarks alike (no test-runner import here).
export interface ScanningClient {
  scan(
    cursor: string,
    options: { MATCH: string; COUNT: number },
  ): Promise<{ cursor: unknown; keys: string[] }>;
  unlink(keys: string[]): Promise<unknown>;
}

/** Deletes every key matching `pattern`, a SCAN step and UNLINK at a time. */
export async function deleteKeys(client: ScanningClient, pattern: string): Promise<void> {
  let cursor = '0';
  do {
    const reply = await client.scan(cursor, { MATCH: pattern, COUNT: 1000 });
    cursor = String(reply.cursor);
    if (reply.keys.length > 0) await client.unlink(reply.keys);
  } while (cursor !== '0');
}
