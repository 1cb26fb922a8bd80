import type { JsonSchema, RegistryDescription } from './schema-registry.js';

export interface AsyncApiOptions {
  /** info.title (default 'Factum events'). */
  title?: string;
  /** info.version: the version of this contract (default '1.0.0'). */
  version?: string;
  description?: string;
}

/** Channel for event types registered without a category. */
export const UNCATEGORIZED_CHANNEL = 'events';

const METADATA_SCHEMA: JsonSchema = {
  type: 'object',
  description: 'Factum event metadata',
  properties: {
    correlationId: { type: 'string', description: 'The whole business flow this event belongs to' },
    causationId: { type: 'string', description: 'The id of the event or command that caused this one' },
    userId: { type: 'string', description: 'Who caused it' },
    traceparent: { type: 'string', description: 'W3C trace context' },
    tracestate: { type: 'string', description: 'W3C trace state' },
  },
};

/**
 * The registry as an AsyncAPI 3.0 document: one channel per stream category (the category is the
 * channel's address), one message per event type and schema version (`OrderPlaced.v2`) with the
 * registered JSON Schema as payload and the event metadata as headers, and one `send` operation
 * per channel listing its messages.
 */
export function toAsyncApi(
  registry: RegistryDescription,
  options: AsyncApiOptions = {},
): Record<string, unknown> {
  const channels: Record<string, { address: string; messages: Record<string, { $ref: string }> }> = {};
  const messages: Record<string, unknown> = {};
  for (const [type, description] of Object.entries(registry.types)) {
    const category = description.category ?? UNCATEGORIZED_CHANNEL;
    const channelId = safeId(category);
    channels[channelId] ??= { address: category, messages: {} };
    for (const [v, schema] of Object.entries(description.versions)) {
      const messageId = safeId(`${type}.v${v}`);
      const { $schema: _dialect, ...payload } = schema;
      const message: Record<string, unknown> = {
        name: type,
        title: `${type} v${v}`,
        contentType: 'application/json',
        headers: METADATA_SCHEMA,
        payload,
        'x-factum-schema-version': Number(v),
        'x-factum-current': Number(v) === description.currentVersion,
      };
      if (description.description !== undefined) message.summary = description.description;
      messages[messageId] = message;
      channels[channelId].messages[messageId] = { $ref: `#/components/messages/${messageId}` };
    }
  }
  const operations: Record<string, unknown> = {};
  for (const [channelId, channel] of Object.entries(channels)) {
    operations[safeId(`publish.${channelId}`)] = {
      action: 'send',
      channel: { $ref: `#/channels/${channelId}` },
      messages: Object.keys(channel.messages).map((m) => ({ $ref: `#/channels/${channelId}/messages/${m}` })),
    };
  }
  const info: Record<string, unknown> = {
    title: options.title ?? 'Factum events',
    version: options.version ?? '1.0.0',
  };
  if (options.description !== undefined) info.description = options.description;
  return {
    asyncapi: '3.0.0',
    info,
    defaultContentType: 'application/json',
    channels,
    operations,
    components: { messages },
  };
}

/** AsyncAPI component keys allow letters, digits, '.', '-' and '_'. */
function safeId(value: string): string {
  return value.replace(/[^A-Za-z0-9._-]/g, '_');
}
