export {
  createKafka,
  createIdempotentProducer,
  kafkaAccessOf,
  kafkaSaslFrom,
  kafkaTlsFrom,
  KAFKA_USERNAME_VARIABLE,
  KAFKA_PASSWORD_VARIABLE,
  KAFKA_CA_FILE_VARIABLE,
} from './client.ts';
export type { KafkaSasl, KafkaTls, KafkaClientOptions, KafkaAccessConfig } from './client.ts';
export { OUTBOX_TABLE, appendToOutbox, outboxMigrations } from './outbox.migrations.ts';
export type { OutboxEntry, OutboxRow } from './outbox.migrations.ts';
export { DEFAULT_RELAY_BATCH, OutboxRelay, needsNewProducerSession, relayLockKey } from './outbox-relay.ts';
export type { OutboxEncoder, OutboxRelayOptions } from './outbox-relay.ts';
export {
  DEAD_LETTER_HEADERS,
  REDRIVEN_FROM_HEADER,
  headersAsStrings,
  parseMessagePosition,
  readDeadLetter,
  toDeadLetter,
  toRedrive,
} from './dead-letter.ts';
export type { DeadLetterContext, DeadLetterInfo, DeadLetterReason, SourceMessage } from './dead-letter.ts';
export { consumerGroupLag, highWatermarks } from './consumer-lag.ts';
export type { PartitionLag } from './consumer-lag.ts';
export { readTopic } from './topic-reader.ts';
export type { ReadMessage, ReadTopicOptions } from './topic-reader.ts';
export {
  ATTR_MESSAGING_SYSTEM,
  ATTR_MESSAGING_DESTINATION_NAME,
  ATTR_MESSAGING_OPERATION_TYPE,
  ATTR_MESSAGING_OPERATION_NAME,
  ATTR_MESSAGING_MESSAGE_ID,
  ATTR_MESSAGING_BATCH_MESSAGE_COUNT,
  ATTR_MESSAGING_CONSUMER_GROUP_NAME,
  ATTR_MESSAGING_DESTINATION_PARTITION_ID,
  ATTR_MESSAGING_KAFKA_OFFSET,
  ATTR_PASSERELLE_EVENT_TYPE,
  ATTR_PASSERELLE_OUTCOME,
  ATTR_PASSERELLE_DEAD_LETTER_REASON,
  MESSAGING_SYSTEM_KAFKA,
} from './semconv.ts';
export { BrokerPeer } from './broker-peer.ts';
export type { RequestReporter } from './broker-peer.ts';
export { KafkaLibError, NotADeadLetterError, InvalidMessagePositionError, TopicReadTimeoutError } from './errors.ts';
