import type { SchemaNames } from '../../../stores/postgres/kit.js';

/** The quoted names of the messaging tables, in the store's schema beside the store's own. */
export interface MessagingNames extends SchemaNames {
  /** `"schema".factum_checkpoints` (relay checkpoints; the follow area's migration 0010) */
  readonly checkpoints: string;
  /** `"schema".factum_leases` (the follow area's migration 0011) */
  readonly leases: string;
  /** `"schema".factum_outbox` (migration 0012) */
  readonly outbox: string;
  /** `"schema".factum_inbox` (migration 0013) */
  readonly inbox: string;
}

export function messagingNames(names: SchemaNames): MessagingNames {
  return {
    ...names,
    checkpoints: `${names.quoted}.factum_checkpoints`,
    leases: `${names.quoted}.factum_leases`,
    outbox: `${names.quoted}.factum_outbox`,
    inbox: `${names.quoted}.factum_inbox`,
  };
}
