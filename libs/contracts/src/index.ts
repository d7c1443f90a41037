export { encodeFrame } from './wire-encoder.ts';
export { decodeFrame } from './wire-decoder.ts';
export type { Frame } from './wire-decoder.ts';
export { MAGIC_BYTE, HEADER_LENGTH, SCHEMA_ID_LENGTH, MAX_SCHEMA_ID } from './wire-format.ts';
export {
  ContractError,
  WrongMagicByteError,
  MalformedMessageError,
  UnknownSchemaIdError,
  UnknownEventTypeError,
  SchemaResolutionError,
  SchemaValidationError,
  SchemaNotRegisteredError,
  IncompatibleSchemaError,
  RegistryUnavailableError,
  RegistryRequestError,
  PartyRegistryError,
} from './errors.ts';
export {
  EVENT_TYPES,
  EVENT_TYPE_FACTS,
  TOPIC_FAMILIES,
  AGGREGATE_KINDS,
  PUBLISHER_RULES,
  isEventType,
  familyOf,
  aggregateKindOf,
  publisherRuleOf,
  eventTypesOf,
  recordNameOf,
  eventTypeOfRecord,
  messageKeyOf,
} from './event-types.ts';
export type { EventType, TopicFamily, AggregateKind, PublisherRule } from './event-types.ts';
export {
  topicName,
  topicFor,
  partyTopicName,
  parseTopicName,
  allMinistryTopics,
  MINISTRY_TOPIC_PREFIXES,
  DEAD_LETTER_TOPIC,
  TOPIC_VERSION,
} from './topic-names.ts';
export { PARTIES, parseParties, partyOf, enumDrift, adapterNameOf } from './parties.ts';
export type { Party, PartyId } from './parties.ts';
export type { TopicOwner } from './topic-names.ts';
export { subjectOf } from './subject-naming.ts';
export { createCodec, createCodecs, avscOptions } from './avro-codec.ts';
export type { EventCodec } from './avro-codec.ts';
export { EventSerde } from './event-serde.ts';
export type { DecodedEvent, EventSerdeOptions } from './event-serde.ts';
export { RegistryClient } from './registry-client.ts';
export type { RegistryClientOptions, SchemaRegistryPort, CompatibilityLevel } from './registry-client.ts';
export { fullCompatibilityProblems, explainIncompatibility } from './avro-compatibility.ts';
export type { Incompatibility, Direction } from './avro-compatibility.ts';
export { registerAll, registerSchema, checkAll, checkCompatibility, REQUIRED_COMPATIBILITY } from './schema-registration.ts';
export type { RegistrationOptions, RegistrationResult, CompatibilityReport, CompatibilityStatus } from './schema-registration.ts';
export {
  KEY_ENCRYPTION_KEY_VARIABLE,
  KeyEncryptionKey,
  keyEncryptionKeyFromEnv,
  NO_POPULATION_FLAGS,
  SEAL_ALGORITHM,
  SEALED_PSEUDONYM_PLACEHOLDER,
  SealError,
  newDataKey,
  openSubject,
  sealSubject,
} from './sealed-subject.ts';
export type { PopulationFlagValues, SealedSubject, SubjectFields } from './sealed-subject.ts';
export {
  EARLIEST_PLAUSIBLE_MS,
  OCCURRENCE_FUTURE_TOLERANCE_MS,
  BIRTH_DATE_FUTURE_TOLERANCE_MS,
  LATEST_QUERY_BOUND_MS,
  timeWindow,
  outsideTimeWindow,
} from './time-window.ts';
export type { TimeWindowKind } from './time-window.ts';
