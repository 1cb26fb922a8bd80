/** factum/brokers: opens the broker a URL names, loading only that adapter's driver. */
export type { BrokerKind, BrokerUrl, OpenBrokerOptions } from './open-broker.js';
export { openBroker, parseBrokerUrl } from './open-broker.js';
