export { createKafka, createIdempotentProducer } from './client.ts';
export type { KafkaClientOptions } from './client.ts';
export { OUTBOX_TABLE, appendToOutbox, outboxMigrations } from './outbox.schema.ts';
export type { OutboxEntry, OutboxRow } from './outbox.schema.ts';
export { OutboxRelay } from './outbox-relay.ts';
export type { OutboxEncoder, OutboxRelayOptions } from './outbox-relay.ts';
