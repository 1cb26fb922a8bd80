import { createSchemaRegistry } from 'factum';

// #region order-schemas
/**
 * The order events' contract. OrderPlaced v1 had no currency; v2 requires one. Stored v1 events are
 * read as v2 through the upcaster (the reference's `currency: 'USD'` default); stored rows never change.
 * `npx factum schema check --registry examples/orders/schemas.ts` compares this with the lock file.
 */
export const registry = createSchemaRegistry()
  .register({
    type: 'OrderPlaced',
    category: 'order',
    version: 1,
    schema: {
      type: 'object',
      required: ['orderId', 'customer'],
      properties: { orderId: { type: 'string' }, customer: { type: 'string' } },
    },
  })
  .register({
    type: 'OrderPlaced',
    version: 2,
    schema: {
      type: 'object',
      required: ['orderId', 'customer', 'currency'],
      properties: {
        orderId: { type: 'string' },
        customer: { type: 'string' },
        currency: { type: 'string', enum: ['USD', 'EUR'], default: 'USD' },
      },
    },
  })
  .upcaster({
    type: 'OrderPlaced',
    fromVersion: 1,
    toVersion: 2,
    upcast: (data) => ({ ...data, currency: 'USD' }),
  })
  .register({
    type: 'ItemAdded',
    category: 'order',
    version: 1,
    schema: {
      type: 'object',
      required: ['sku', 'qty', 'price'],
      properties: {
        sku: { type: 'string', minLength: 1 },
        qty: { type: 'integer', minimum: 1 },
        price: { type: 'integer', minimum: 0 },
      },
    },
  })
  .register({
    type: 'OrderShipped',
    category: 'order',
    version: 1,
    schema: { type: 'object', required: ['carrier'], properties: { carrier: { type: 'string' } } },
  });
// #endregion order-schemas
