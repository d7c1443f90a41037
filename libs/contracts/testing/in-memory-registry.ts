import type { AvroType } from '@passerelle/schemas';
import { SchemaNotRegisteredError, UnknownSchemaIdError } from '../src/errors.ts';
import type { SchemaRegistryPort } from '../src/registry-client.ts';

/** A registry in memory that counts its calls, for unit tests of the serde's caching. */
export class InMemoryRegistry implements SchemaRegistryPort {
  readonly calls = { idOf: 0, schemaOf: 0 };
  private readonly ids = new Map<string, number>();
  private readonly schemas = new Map<number, AvroType>();
  private nextId = 100;
  /** When set, the next calls fail with it (then it is cleared). */
  failNext: Error | undefined;

  register(subject: string, schema: AvroType): number {
    const key = `${subject}|${JSON.stringify(schema)}`;
    const existing = this.ids.get(key);
    if (existing !== undefined) return existing;
    const id = this.nextId++;
    this.ids.set(key, id);
    this.schemas.set(id, schema);
    return id;
  }

  async idOf(subject: string, schema: AvroType): Promise<number> {
    this.calls.idOf += 1;
    await Promise.resolve();
    this.throwIfFailing();
    const id = this.ids.get(`${subject}|${JSON.stringify(schema)}`);
    if (id === undefined) throw new SchemaNotRegisteredError(subject);
    return id;
  }

  async schemaOf(id: number): Promise<AvroType> {
    this.calls.schemaOf += 1;
    await Promise.resolve();
    this.throwIfFailing();
    const schema = this.schemas.get(id);
    if (schema === undefined) throw new UnknownSchemaIdError(id);
    return schema;
  }

  private throwIfFailing(): void {
    const failure = this.failNext;
    this.failNext = undefined;
    if (failure) throw failure;
  }
}
