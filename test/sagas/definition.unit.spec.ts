import { ErrorCodes, isFactumError } from 'factum';
import { defineSaga, type SagaStep } from 'factum/sagas';
import { describe, expect, it } from 'vitest';

const command = () => ({ type: 'Do', data: {} });
const undo = () => ({ type: 'Undo', data: {} });
const base = { version: 1, startedBy: ['Begun'], correlate: () => 'x' } as const;

function rejection(fn: () => unknown) {
  try {
    fn();
  } catch (error) {
    return error as { code: string; step?: string; message: string };
  }
  throw new Error('the definition was accepted');
}

describe('defineSaga', () => {
  it('P10: rejects a step without compensation that is not last, naming it (at registration, always)', () => {
    const steps: SagaStep[] = [
      { name: 'charge', action: command, compensate: undo },
      { name: 'ship', action: command },
      { name: 'notify', action: command, compensate: undo },
    ];
    const error = rejection(() => defineSaga({ name: 'bad', ...base, steps } as never));
    expect(isFactumError(error, ErrorCodes.INVALID_SAGA_DEFINITION)).toBe(true);
    expect(error.step).toBe('ship');
    expect(error.message).toContain('step ship');
    expect(error.message).toContain('step notify after it is not retriable');
  });

  it('P10: the same rule at the type level, where the steps are a literal tuple', () => {
    expect(() =>
      defineSaga({
        name: 'bad_types',
        ...base,
        steps: [
          // @ts-expect-error: 'ship' has no compensate and 'notify' after it is not retriable
          { name: 'ship', action: command },
          { name: 'notify', action: command, compensate: undo },
        ],
      }),
    ).toThrow(/step ship/);
    // Accepted: the pivot is last, or followed only by retriable steps.
    defineSaga({
      name: 'ok_last',
      ...base,
      steps: [
        { name: 'charge', action: command, compensate: undo },
        { name: 'ship', action: command },
      ],
    });
    defineSaga({
      name: 'ok_retriable',
      ...base,
      steps: [
        { name: 'ship', action: command },
        { name: 'notify', action: command, retriable: true },
      ],
    });
  });

  it('rejects other broken definitions with the step named', () => {
    const cases: [unknown, string | undefined, RegExp][] = [
      [
        {
          name: 'twice',
          ...base,
          steps: [
            { name: 'a', action: command, compensate: undo },
            { name: 'a', action: command },
          ],
        },
        'a',
        /two steps/,
      ],
      [{ name: 'no_action', ...base, steps: [{ name: 'a' }] }, 'a', /needs an action/],
      [{ name: 'no_steps', ...base, steps: [] }, undefined, /at least one step/],
      [{ name: 'Bad-Name', ...base, steps: [{ name: 'a', action: command }] }, undefined, /lower-case/],
      [
        { name: 'bad_version', ...base, version: 0, steps: [{ name: 'a', action: command }] },
        undefined,
        /version/,
      ],
      [
        {
          name: 'bad_timeout',
          ...base,
          steps: [{ name: 'a', action: command, awaits: { success: ['A'], timeout: '5 minutes' } }],
        },
        'a',
        /awaits.timeout/,
      ],
      [
        { name: 'no_success', ...base, steps: [{ name: 'a', action: command, awaits: { success: [] } }] },
        'a',
        /awaits.success/,
      ],
      [
        { name: 'bad_retry', ...base, steps: [{ name: 'a', action: command, retry: { attempts: 0 } }] },
        'a',
        /retry.attempts/,
      ],
    ];
    for (const [definition, step, message] of cases) {
      const error = rejection(() => defineSaga(definition as never));
      expect(error.code).toBe(ErrorCodes.INVALID_SAGA_DEFINITION);
      expect(error.step).toBe(step);
      expect(error.message).toMatch(message);
    }
  });

  it('collects every input type: starting events and the replies of steps and compensations', () => {
    const saga = defineSaga({
      name: 'inputs',
      ...base,
      steps: [
        {
          name: 'a',
          action: command,
          awaits: { success: ['ADone'], failure: ['AFailed'] },
          compensate: { action: undo, awaits: { success: ['AUndone'] } },
        },
        { name: 'b', action: command },
      ],
    });
    expect([...saga.inputTypes].sort()).toEqual(['ADone', 'AFailed', 'AUndone', 'Begun']);
  });
});
