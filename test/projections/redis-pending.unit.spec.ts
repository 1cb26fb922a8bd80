import { describe, expect, it } from 'vitest';
import { Pending } from '../../src/projections/redis/pending.js';

describe('Redis pending writes: index sets', () => {
  const indexes = [['status'], ['customer.id', 'total'], ['flag'], ['at'], ['tags'], ['missing.deep']];
  const setsOf = (doc: object, given: boolean) => {
    const pending = new Pending();
    const writes = pending.collection('p:{x}:g1.e', 'orders', indexes);
    pending.put(writes, 'o1', JSON.stringify(doc), given ? doc : undefined);
    return writes.docs.get('o1');
  };

  it('takes indexed values from the document object exactly as from its JSON', () => {
    class WithProto {
      status = 'own';
    }
    Object.defineProperty(WithProto.prototype, 'flag', { value: true, enumerable: true });
    const hidden = { status: 'open' };
    Object.defineProperty(hidden, 'flag', { value: true, enumerable: false });
    const docs: object[] = [
      { status: 'open', customer: { id: 'c1' }, total: 12.5, flag: true },
      { status: null, customer: { id: 7 }, total: Number.NaN, flag: false, at: new Date(0) },
      { status: 'x', customer: 'not an object', total: -0, tags: ['a', 'b'] },
      { status: { nested: 1 }, customer: { id: undefined }, total: Number.POSITIVE_INFINITY },
      { status: 'lone \ud800', customer: { toJSON: () => ({ id: 'changed' }) } },
      { toJSON: () => ({ status: 'replaced' }), status: 'original' },
      { status: 'open', customer: [{ id: 'c1' }], flag: () => 1 },
      new WithProto(),
      hidden,
    ];
    for (const doc of docs) expect(setsOf(doc, true)).toEqual(setsOf(doc, false));
  });
});
