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
}

export function startProcess(command: string, args: readonly string[], defaultTimeoutMs = 30_000): Child {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
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
  const exited = new Promise<void>((resolve) =>
    child.on('exit', () => {
      ended = true;
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
  };
}

export function startChild(script: string, args: readonly string[], defaultTimeoutMs = 30_000): Child {
  return startProcess(process.execPath, ['--import', 'tsx', script, ...args], defaultTimeoutMs);
}
