/** Where a `factum` command writes, which folder it resolves paths from, and its environment. */
export interface CliIo {
  cwd: string;
  out: (text: string) => void;
  err: (text: string) => void;
  /** The environment read for defaults such as FACTUM_STORE_URL (default: process.env). */
  env?: Record<string, string | undefined>;
}

/** How a command's action reports its exit code to runCli. */
export type CliExit = (code: number) => void;
