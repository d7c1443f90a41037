/** Attribute names used on spans; one place, following the OpenTelemetry messaging conventions. */
export const ATTR_MESSAGING_SYSTEM = 'messaging.system';
export const ATTR_MESSAGING_DESTINATION_NAME = 'messaging.destination.name';
export const ATTR_MESSAGING_OPERATION_TYPE = 'messaging.operation.type';
export const ATTR_MESSAGING_OPERATION_NAME = 'messaging.operation.name';
export const ATTR_MESSAGING_MESSAGE_ID = 'messaging.message.id';
export const ATTR_MESSAGING_BATCH_MESSAGE_COUNT = 'messaging.batch.message_count';
export const ATTR_PASSERELLE_EVENT_TYPE = 'passerelle.event.type';
export const MESSAGING_SYSTEM_KAFKA = 'kafka';
// The peer of producer and consumer spans: the broker (Zipkin's remote endpoint, hence its dependency graph).
export const ATTR_SERVER_ADDRESS = 'server.address';
export const ATTR_SERVER_PORT = 'server.port';

// Consumer side (projector): who consumed, from where.
export const ATTR_MESSAGING_CONSUMER_GROUP_NAME = 'messaging.consumer.group.name';
export const ATTR_MESSAGING_DESTINATION_PARTITION_ID = 'messaging.destination.partition.id';
export const ATTR_MESSAGING_KAFKA_OFFSET = 'messaging.kafka.offset';
export const ATTR_PASSERELLE_OUTCOME = 'passerelle.projector.outcome';
export const ATTR_PASSERELLE_DEAD_LETTER_REASON = 'passerelle.dead_letter.reason';
