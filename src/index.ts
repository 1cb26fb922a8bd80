export * from './core/index.js';
export type { OpenStoreOptions } from './open-store.js';
export { openStore } from './open-store.js';
export type { MemoryStoreOptions } from './stores/memory/memory-store.js';
export { createMemoryStore } from './stores/memory/memory-store.js';
