/** Where a `factum` command writes, which folder it resolves paths from, and its environment. */
export interface CliIo {
  cwd: string;
  out: (text: string) => void;
  err: (text: string) => void;
  /** The environment read for defaults such as FACTUM_STORE_URL (default: process.env). */
  env?: Record<string, string | undefined>;
  /**
   * Ends the commands that run until stopped (`serve`, `events tail --follow`); default: SIGINT or
   * SIGTERM of the process.
   */
  signal?: AbortSignal;
}

/** The signal that ends a long-running command: the io's, else the process's SIGINT or SIGTERM. */
export function stopSignal(io: CliIo): AbortSignal {
  if (io.signal !== undefined) return io.signal;
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  controller.signal.addEventListener('abort', () => {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  });
  return controller.signal;
}

/** Resolves when `signal` aborts. */
export function untilAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

/** How a command's action reports its exit code to runCli. */
export type CliExit = (code: number) => void;
