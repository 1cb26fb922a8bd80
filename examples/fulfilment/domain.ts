/**
 * The order-fulfilment domain: a catalog, amounts in cents, and the one deterministic "random" the
 * services use (a hash of the order id), so a run's declines and carrier delays can be replayed.
 */

export interface Line {
  sku: string;
  qty: number;
  /** Cents per unit. */
  price: number;
}

export interface OrderPlacedData {
  orderId: string;
  customer: string;
  lines: Line[];
  /** Cents. */
  total: number;
}

/**
 * Price (cents), initial stock, and what the warehouse restocks every few seconds when a SKU runs
 * low: at 20 orders/s desks sell faster than they come in, so some desk orders find none.
 */
export const CATALOG: Readonly<Record<string, { price: number; initialStock: number; restock: number }>> = {
  LAMP: { price: 4_500, initialStock: 300, restock: 70 },
  DESK: { price: 24_900, initialStock: 60, restock: 20 },
  CHAIR: { price: 12_900, initialStock: 150, restock: 50 },
  MUG: { price: 1_200, initialStock: 600, restock: 90 },
};

export const SKUS = Object.keys(CATALOG);

/** A number in [0, 1) from a string: the same for the same input in every process and run. */
export function unitHash(text: string): number {
  let h = 2_166_136_261;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 16_777_619);
  }
  // Mix the bits (MurmurHash3's finaliser): ids that differ in their last character land far apart.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85eb_ca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2_ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 4_294_967_296;
}

export const orderIdOf = (data: unknown): string => (data as { orderId: string }).orderId;

export const stockStream = (sku: string) => `stock-${sku}`;
export const orderStream = (orderId: string) => `order-${orderId}`;
export const paymentStream = (orderId: string) => `payment-${orderId}`;
export const shipmentStream = (orderId: string) => `shipment-${orderId}`;
