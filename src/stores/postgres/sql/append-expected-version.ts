import type { ExpectedVersion } from '../../../core/expected-version.js';

/** Codes of the expected versions that are not a number (a version n >= 0 is bound as itself). */
const ANY = -1;
const STREAM_EXISTS = -2;

/**
 * The expected-version rule of every append statement, as SQL: true when the stream's version
 * `head` (0: no stream) satisfies the expected version bound as `parameter` (a bigint, see
 * expectedVersionParameter). It is core's matchesExpectedVersion; a test runs both on every case.
 * The text does not depend on the expected version, so one prepared statement serves all of them,
 * and a group of appends binds one code per append.
 */
export function expectedVersionSql(head: string, parameter: string): string {
  return `CASE ${parameter} WHEN ${ANY} THEN true WHEN ${STREAM_EXISTS} THEN ${head} > 0 ELSE ${head} = ${parameter} END`;
}

/** The value expectedVersionSql's `parameter` is bound to: 0 for 'no_stream', as for version 0. */
export function expectedVersionParameter(expected: ExpectedVersion | undefined): number {
  switch (expected) {
    case undefined:
    case 'any':
      return ANY;
    case 'stream_exists':
      return STREAM_EXISTS;
    case 'no_stream':
      return 0;
    default:
      return expected;
  }
}
