import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import type { COMPATIBILITY } from '@kafkajs/confluent-schema-registry';
import type { AvroType } from '@passerelle/schemas';
import {
  ContractError,
  IncompatibleSchemaError,
  RegistryRequestError,
  RegistryUnavailableError,
  SchemaNotRegisteredError,
  UnknownSchemaIdError,
} from './errors.ts';

export type CompatibilityLevel = `${COMPATIBILITY}`;

/** What the serde needs from a registry: ids by subject and schema, schemas by id. */
export interface SchemaRegistryPort {
  /** The id of `schema` under `subject`; SchemaNotRegisteredError when it is not registered there. */
  idOf(subject: string, schema: AvroType): Promise<number>;
  /** The writer schema with this id; UnknownSchemaIdError when there is none. */
  schemaOf(id: number): Promise<AvroType>;
}

export interface RegistryClientOptions {
  /** Base URL of the Confluent-compatible API, e.g. http://127.0.0.1:8081/apis/ccompat/v7. */
  readonly url: string;
  /** Per-request timeout. */
  readonly timeoutMs?: number;
  /** Retries of a serde request the registry answered with a server error (0 disables). */
  readonly retries?: number;
}

/**
 * mappersmith, under the library, reports a refused connection, a reset or a timeout as an
 * HTTP 400 whose message is the socket error, which would read as "our request was wrong".
 * These are recognised by that message and reported as the registry being unavailable.
 */
const TRANSPORT_FAILURE =
  /\b(ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EPIPE)\b|socket hang up|Timeout \(\d+ms\)/;

/** Sets the request timeout, which the library does not expose as an option. */
function timeoutMiddleware(timeoutMs: number) {
  return () => ({
    prepareRequest: (next: () => Promise<{ enhance(extras: { timeout: number }): unknown }>) =>
      next().then((request) => request.enhance({ timeout: timeoutMs })),
  });
}

function statusOf(error: unknown): number | undefined {
  return typeof error === 'object' && error !== null && 'status' in error && typeof error.status === 'number' ? error.status : undefined;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The registry as Passerelle uses it. Serde traffic (ids by schema, schemas by id,
 * registration) goes through @kafkajs/confluent-schema-registry; the compatibility, config and
 * subject endpoints the library does not expose are called with fetch.
 */
export class RegistryClient implements SchemaRegistryPort {
  readonly url: string;
  private readonly library: SchemaRegistry;
  private readonly timeoutMs: number;

  constructor(options: RegistryClientOptions) {
    this.url = options.url.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.library = new SchemaRegistry({
      host: this.url,
      clientId: 'passerelle',
      retry: { retries: options.retries ?? 3 },
      // Retries cover server errors only; transport failures surface at once as retryable errors.
      // The library's middleware type is mappersmith's, which it does not re-export.
      middlewares: [timeoutMiddleware(this.timeoutMs) as never],
    });
  }

  async idOf(subject: string, schema: AvroType): Promise<number> {
    try {
      return await this.library.getRegistryIdBySchema(subject, { type: SchemaType.AVRO, schema: JSON.stringify(schema) });
    } catch (error) {
      // The library turns the registry's 404 into its base error class (not exported), without the status.
      if (error instanceof Error && error.name === 'ConfluentSchemaRegistryError')
        throw new SchemaNotRegisteredError(subject, { cause: error });
      throw this.failure(`looking up the id of ${subject}`, error);
    }
  }

  async schemaOf(id: number): Promise<AvroType> {
    try {
      const type = (await this.library.getSchema(id)) as unknown as { schema(opts: { exportAttrs: boolean }): AvroType };
      return type.schema({ exportAttrs: true });
    } catch (error) {
      if (statusOf(error) === 404) throw new UnknownSchemaIdError(id, { cause: error });
      throw this.failure(`fetching schema id ${id}`, error);
    }
  }

  /**
   * Registers a schema under a subject (a no-op returning the same id when it is already there).
   * The library compares the subject's compatibility level with `compatibility` first and
   * refuses to register on a mismatch, so set the level before registering.
   */
  async register(subject: string, schema: AvroType, compatibility: CompatibilityLevel): Promise<number> {
    try {
      const { id } = await this.library.register(
        { type: SchemaType.AVRO, schema: JSON.stringify(schema) },
        { subject, compatibility: compatibility as COMPATIBILITY },
      );
      return id;
    } catch (error) {
      if (statusOf(error) === 409) throw new IncompatibleSchemaError(subject, [messageOf(error)], { cause: error });
      throw this.failure(`registering ${subject}`, error);
    }
  }

  /** The subject's own compatibility level, or undefined when the subject does not exist. */
  async compatibilityOf(subject: string): Promise<CompatibilityLevel | undefined> {
    const { status, body } = await this.request('GET', `/config/${encodeURIComponent(subject)}`);
    if (status === 404) return undefined;
    return (body as { compatibilityLevel: CompatibilityLevel }).compatibilityLevel;
  }

  async setCompatibility(subject: string, level: CompatibilityLevel): Promise<void> {
    await this.request('PUT', `/config/${encodeURIComponent(subject)}`, { compatibility: level });
  }

  /**
   * The registry's verdict on a candidate schema against the subject's versions, under the
   * subject's compatibility level. `messages` is whatever explanation the registry gives
   * (Apicurio gives none). A subject that does not exist accepts anything.
   */
  async testCompatibility(subject: string, schema: AvroType): Promise<{ compatible: boolean; messages: string[] }> {
    const { status, body } = await this.request('POST', `/compatibility/subjects/${encodeURIComponent(subject)}/versions?verbose=true`, {
      schema: JSON.stringify(schema),
    });
    if (status === 404) return { compatible: true, messages: [] };
    const verdict = body as { is_compatible: boolean; messages?: string[] };
    return { compatible: verdict.is_compatible, messages: verdict.messages ?? [] };
  }

  /** Version numbers of a subject, oldest first; empty when the subject does not exist. */
  async versionsOf(subject: string): Promise<number[]> {
    const { status, body } = await this.request('GET', `/subjects/${encodeURIComponent(subject)}/versions`);
    if (status === 404) return [];
    return [...(body as number[])].sort((a, b) => a - b);
  }

  async schemaOfVersion(subject: string, version: number): Promise<{ id: number; schema: AvroType }> {
    const { status, body } = await this.request('GET', `/subjects/${encodeURIComponent(subject)}/versions/${version}`);
    if (status === 404) throw new RegistryRequestError(`${subject} has no version ${version}`, 404);
    const found = body as { id: number; schema: string };
    return { id: found.id, schema: JSON.parse(found.schema) as AvroType };
  }

  /** Deletes a subject for good (soft delete, then permanent). For tests and clean-ups. */
  async deleteSubject(subject: string): Promise<void> {
    const path = `/subjects/${encodeURIComponent(subject)}`;
    await this.request('DELETE', path);
    await this.request('DELETE', `${path}?permanent=true`);
  }

  /** Calls the Confluent-compatible API; 404 comes back to the caller, other failures throw. */
  private async request(method: string, path: string, json?: unknown): Promise<{ status: number; body: unknown }> {
    let response: Response;
    try {
      response = await fetch(`${this.url}${path}`, {
        method,
        headers: {
          'Content-Type': 'application/vnd.schemaregistry.v1+json',
          Accept: 'application/vnd.schemaregistry.v1+json, application/json',
        },
        body: json === undefined ? undefined : JSON.stringify(json),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw new RegistryUnavailableError(`schema registry at ${this.url} is unreachable (${method} ${path}): ${messageOf(error)}`, {
        cause: error,
      });
    }
    const text = await response.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      // Not JSON: keep the text for the error message.
    }
    if (response.ok || response.status === 404) return { status: response.status, body };
    const detail = typeof body === 'object' && body !== null && 'message' in body ? String(body.message) : text.slice(0, 300);
    if (response.status >= 500)
      throw new RegistryUnavailableError(`schema registry answered ${response.status} to ${method} ${path}: ${detail}`);
    throw new RegistryRequestError(`schema registry refused ${method} ${path} (${response.status}): ${detail}`, response.status);
  }

  private failure(doing: string, error: unknown): ContractError {
    if (error instanceof ContractError) return error;
    const status = statusOf(error);
    if ((status !== undefined && status >= 500) || (status === 400 && TRANSPORT_FAILURE.test(messageOf(error)))) {
      return new RegistryUnavailableError(`schema registry at ${this.url} unavailable while ${doing}: ${messageOf(error)}`, {
        cause: error,
      });
    }
    return new RegistryRequestError(`schema registry refused ${doing}: ${messageOf(error)}`, status, { cause: error });
  }
}
