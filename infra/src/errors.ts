/** Failures of the local stack, each with a stable code and the hint an operator needs. */
export class StackError extends Error {
  readonly code: string;
  readonly hint: string | undefined;

  constructor(code: string, message: string, hint?: string) {
    super(message);
    this.name = 'StackError';
    this.code = code;
    this.hint = hint;
  }
}

export class PrerequisiteError extends StackError {
  constructor(message: string, hint: string) {
    super('PREREQUISITE_MISSING', message, hint);
    this.name = 'PrerequisiteError';
  }
}

export class PortInUseError extends StackError {
  constructor(part: string, port: number, owner: string | undefined) {
    super(
      'PORT_IN_USE',
      `${part} cannot start: port ${port} on 127.0.0.1 is already in use${owner ? ` by ${owner}` : ' by another process'}`,
      `free port ${port}, or choose another one with the variable named in the README's configuration table`,
    );
    this.name = 'PortInUseError';
  }
}

export class NotReadyError extends StackError {
  constructor(part: string, reason: string, logTail: string) {
    super('NOT_READY', `${part} did not become ready: ${reason}\n--- last lines of its log ---\n${logTail}`);
    this.name = 'NotReadyError';
  }
}

export class ArtifactError extends StackError {
  constructor(what: string, output: string) {
    super(
      'ARTIFACT_UNAVAILABLE',
      `could not resolve ${what} through Maven:\n${output}`,
      'check that Maven Central is reachable (or that ~/.m2 already holds the artifact)',
    );
    this.name = 'ArtifactError';
  }
}
