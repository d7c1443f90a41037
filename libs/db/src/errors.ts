/** Base of this lib's errors: a stable `code`, and whether trying again can help. */
export abstract class DatabaseError extends Error {
  abstract readonly code: string;
  abstract readonly retryable: boolean;
}

/** A role layout that cannot be applied as given (a name too long or not an identifier, an unsafe password). */
export class DatabaseRoleLayoutError extends DatabaseError {
  readonly code = 'DATABASE_ROLE_LAYOUT_INVALID';
  readonly retryable = false;

  constructor(message: string) {
    super(message);
    this.name = 'DatabaseRoleLayoutError';
  }
}
