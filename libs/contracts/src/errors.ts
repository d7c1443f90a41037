/**
 * Failures of the contracts lib. Each has a stable `code` for logs, dead-letter headers and
 * exit decisions, and says whether trying again later can succeed. Messages never quote
 * payload values: a value in the wrong field could be personal data.
 */
export abstract class ContractError extends Error {
  abstract readonly code: string;
  abstract readonly retryable: boolean;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The first byte of a message is not the Confluent magic byte 0: not one of our messages. */
export class WrongMagicByteError extends ContractError {
  readonly code = 'WRONG_MAGIC_BYTE';
  readonly retryable = false;

  constructor(readonly found: number) {
    super(`message starts with byte ${found}, expected the Confluent wire-format magic byte 0`);
  }
}

/** The bytes cannot be a message: too short for the header, or an Avro body that does not decode. */
export class MalformedMessageError extends ContractError {
  readonly code = 'MALFORMED_MESSAGE';
  readonly retryable = false;
}

/** The registry does not know the schema id a message names. */
export class UnknownSchemaIdError extends ContractError {
  readonly code = 'UNKNOWN_SCHEMA_ID';
  readonly retryable = false;

  constructor(
    readonly schemaId: number,
    options?: { cause?: unknown },
  ) {
    super(`the schema registry has no schema with id ${schemaId}`, options);
  }
}

/** The writer schema is known but is not one of Passerelle's events. */
export class UnknownEventTypeError extends ContractError {
  readonly code = 'UNKNOWN_EVENT_TYPE';
  readonly retryable = false;

  constructor(
    readonly schemaId: number,
    readonly recordName: string,
  ) {
    super(`schema id ${schemaId} is ${recordName}, which is not a Passerelle event type`);
  }
}

/** The writer schema cannot be read with the local schema of the same event. */
export class SchemaResolutionError extends ContractError {
  readonly code = 'SCHEMA_RESOLUTION';
  readonly retryable = false;
}

/** A payload does not satisfy its schema: wrong types, missing fields, undeclared fields, or a string outside its pattern. */
export class SchemaValidationError extends ContractError {
  readonly code = 'SCHEMA_VALIDATION';
  readonly retryable = false;

  constructor(
    readonly eventType: string,
    readonly issues: readonly string[],
  ) {
    super(`${eventType} does not satisfy its schema: ${issues.join('; ')}`);
  }
}

/** The local schema of an event is not registered under its subject: run `npm run infra -- schemas register`. */
export class SchemaNotRegisteredError extends ContractError {
  readonly code = 'SCHEMA_NOT_REGISTERED';
  readonly retryable = false;

  constructor(
    readonly subject: string,
    options?: { cause?: unknown },
  ) {
    super(`the local schema of ${subject} is not registered under that subject (run \`npm run infra -- schemas register\`)`, options);
  }
}

/** The registry rejected a schema as incompatible with the versions it already holds. */
export class IncompatibleSchemaError extends ContractError {
  readonly code = 'INCOMPATIBLE_SCHEMA';
  readonly retryable = false;

  constructor(
    readonly subject: string,
    readonly reasons: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(`${subject}: the registry rejected the schema as incompatible:\n  - ${reasons.join('\n  - ')}`, options);
  }
}

/** The registry cannot be reached, timed out or answered with a server error: try again later. */
export class RegistryUnavailableError extends ContractError {
  readonly code = 'REGISTRY_UNAVAILABLE';
  readonly retryable = true;
}

/** The registry refused a request for a reason other than those above (bad request, forbidden…). */
export class RegistryRequestError extends ContractError {
  readonly code = 'REGISTRY_REQUEST_FAILED';
  readonly retryable = false;

  constructor(
    message: string,
    readonly status: number | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The party registry (schemas/parties.json, or a fixture) is malformed or disagrees with the Ministry enum. */
export class PartyRegistryError extends ContractError {
  readonly code = 'INVALID_PARTY_REGISTRY';
  readonly retryable = false;

  constructor(
    readonly where: string,
    readonly problems: readonly string[],
  ) {
    super(`${where}:\n  - ${problems.join('\n  - ')}`);
  }
}
