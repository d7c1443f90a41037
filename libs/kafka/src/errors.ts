/**
 * Failures of the kafka lib. Each has a stable `code` for logs and exit decisions, and says
 * whether trying again later can succeed. Messages name topics and positions, never payloads.
 */
export abstract class KafkaLibError extends Error {
  abstract readonly code: string;
  abstract readonly retryable: boolean;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A message on the dead-letter topic that lacks the headers Passerelle writes: it cannot be redriven. */
export class NotADeadLetterError extends KafkaLibError {
  readonly code = 'NOT_A_DEAD_LETTER';
  readonly retryable = false;
}

/** A message position given by hand is not `<topic>:<partition>:<offset>`. */
export class InvalidMessagePositionError extends KafkaLibError {
  readonly code = 'INVALID_MESSAGE_POSITION';
  readonly retryable = false;
}

/** Reading a topic to its end took longer than allowed (a slow or unavailable broker). */
export class TopicReadTimeoutError extends KafkaLibError {
  readonly code = 'TOPIC_READ_TIMEOUT';
  readonly retryable = true;
}
