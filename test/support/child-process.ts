/**
 * A test's child process: its stdout as lines, waiting for a line, and a kill by signal (SIGKILL for
 * the crash the kill -9 proofs need). startChild runs a TypeScript script; startProcess any command.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { waitUntil } from './helpers.js';

export interface Child {
  child: ChildProcess;
  /** Every complete line the child printed, in order. */
  lines: string[];
  exited: Promise<void>;
  /** The first line matching `pattern`, once printed; throws with the child's stderr after `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Sends `signal` (default SIGKILL), and resolves once it exited. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** SIGTERM (a clean stop), and resolves with the exit code once it exited. */
  terminate(): Promise<number | null>;
  /** What it printed to stderr so far. */
  stderr(): string;
}

export interface ChildOptions {
  /** How long waitFor waits by default (30 s). */
  timeoutMs?: number;
  /** Added to this process's environment. */
  env?: Record<string, string>;
  cwd?: string;
}

export function startProcess(
  command: string,
  args: readonly string[],
  options: ChildOptions | number = {},
): Child {
  const {
    timeoutMs: defaultTimeoutMs = 30_000,
    env,
    cwd,
  } = typeof options === 'number' ? { timeoutMs: options } : options;
  const child = spawn(command, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(env === undefined ? {} : { env: { ...process.env, ...env } }),
    ...(cwd === undefined ? {} : { cwd }),
  });
  const lines: string[] = [];
  let stderr = '';
  let buffer = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  child.stdout!.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    const parts = buffer.split('\n');
    buffer = parts.pop() ?? '';
    lines.push(...parts);
  });
  let ended = false;
  let code: number | null = null;
  const exited = new Promise<void>((resolve) =>
    child.on('exit', (c) => {
      ended = true;
      code = c;
      resolve();
    }),
  );
  return {
    child,
    lines,
    exited,
    async waitFor(pattern, timeoutMs = defaultTimeoutMs) {
      await waitUntil(() => lines.some((l) => pattern.test(l)), timeoutMs).catch(() => {
        throw new Error(`${command} did not print ${pattern}; stderr: ${stderr}`);
      });
      return lines.find((l) => pattern.test(l))!;
    },
    async kill(signal = 'SIGKILL') {
      if (!ended) child.kill(signal);
      await exited;
    },
    async terminate() {
      if (!ended) child.kill('SIGTERM');
      await exited;
      return code;
    },
    stderr: () => stderr,
  };
}

export function startChild(
  script: string,
  args: readonly string[],
  options: ChildOptions | number = {},
): Child {
  return startProcess(process.execPath, ['--import', 'tsx', script, ...args], options);
}
