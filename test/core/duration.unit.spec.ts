import { ErrorCodes, isFactumError, parseDuration } from 'factum';
import { describe, expect, it } from 'vitest';

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['45s', 45_000],
    ['30m', 1_800_000],
    ['12h', 43_200_000],
    ['7d', 604_800_000],
    ['30d', 2_592_000_000],
    ['2w', 1_209_600_000],
    ['1d12h', 129_600_000],
    ['1h30m15s', 5_415_000],
    ['1.5h', 5_400_000],
    ['0s', 0],
    ['0.5ms', 1],
  ])('reads %s as %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each([
    ['', 'an empty string'],
    ['7', 'a number without a unit'],
    ['7D', "at '7D'"],
    ['-7d', "at '-7d'"],
    ['7 d', "at '7 d'"],
    ['7dd', "at 'd'"],
    ['d', "at 'd'"],
    ['1.d', "at '1.d'"],
    ['7y', "at '7y'"],
    ['1d 12h', "at ' 12h'"],
    ['99999999999999w', 'too long'],
  ])('refuses %j with a typed error that says why', (text, why) => {
    let error: unknown;
    try {
      parseDuration(text, '--older-than');
    } catch (e) {
      error = e;
    }
    expect(isFactumError(error, ErrorCodes.INVALID_ARGUMENT)).toBe(true);
    expect((error as Error).message).toContain('--older-than must be a duration');
    expect((error as Error).message).toContain(why);
  });

  it('refuses a value that is not a string', () => {
    expect(() => parseDuration(7 as unknown as string)).toThrow(/duration must be a duration.*got 7/);
  });
});
