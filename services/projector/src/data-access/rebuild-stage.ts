import v8 from 'node:v8';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import type { Writable, Readable } from 'node:stream';
import type { Knex } from '@passerelle/db';
import type { DeadLetterRow } from '@passerelle/coordination-view';
import { aggregateOf } from '../domain/batch-plan.ts';
import type { AcceptedEvent } from '../domain/view-model.ts';
import { CopyBinaryDecoder, CopyBinaryEncoder } from './copy-binary.ts';

/**
 * The rebuild's stage: every event its replay accepted and every dead letter it met, spilled to
 * an UNLOGGED table of the schema being built (so a rebuild that dies leaves it where the next
 * one drops it, with the schema), then read back once, deduplicated and sorted by aggregate, for
 * the fold. Nothing of the view is held in memory between the two: memory stays flat however
 * many events the topics hold, while PostgreSQL sorts on disk.
 *
 * An event is staged as it was decoded, without the subject the consumer opened for it: a sealed
 * subject stays sealed on disk, and the fold opens it again with the data keys.
 */
export const STAGE_TABLE = 'rebuild_stage';

/** One entry read back: an event of an aggregate, or a dead letter (aggregate ''). */
export type StagedEntry =
  | { readonly aggregate: string; readonly event: AcceptedEvent; readonly deadLetter?: undefined }
  | { readonly aggregate: ''; readonly event?: undefined; readonly deadLetter: DeadLetterRow };

/** The pg connection under knex: COPY streams are submitted to it directly. */
interface CopyConnection {
  query(sql: string): Promise<unknown>;
  query<T>(query: T): T;
}

const COLUMNS = [
  { name: 'aggregate', type: 'text' },
  { name: 'dedupe', type: 'text' },
  { name: 'seq', type: 'bigint' },
  { name: 'body', type: 'bytea' },
] as const;

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;
const stageOf = (schema: string) => `${ident(schema)}.${ident(STAGE_TABLE)}`;

export async function createStage(db: Knex, schema: string): Promise<void> {
  await db.raw(
    `CREATE UNLOGGED TABLE ${stageOf(schema)} (aggregate text COLLATE "C" NOT NULL, dedupe text NOT NULL, seq bigint NOT NULL, body bytea NOT NULL)`,
  );
}

export async function dropStage(db: Knex | Knex.Transaction, schema: string): Promise<void> {
  await db.raw(`DROP TABLE IF EXISTS ${stageOf(schema)}`);
}

/**
 * Entries written to the stage with one binary COPY, on a connection of its own. `add` only
 * encodes; `ready` waits while PostgreSQL is behind, so what waits in memory stays bounded.
 */
export class StageWriter {
  private seq = 0;
  private drained: Promise<void> | undefined;
  private failed: Error | undefined;

  private constructor(
    private readonly db: Knex,
    private readonly connection: unknown,
    private readonly stream: Writable,
    private readonly encoder: CopyBinaryEncoder,
    private readonly done: Promise<void>,
  ) {}

  static async open(db: Knex, schema: string): Promise<StageWriter> {
    const connection = await db.client.acquireConnection();
    const stream = (connection as CopyConnection).query(
      copyFrom(`COPY ${stageOf(schema)} (${COLUMNS.map((c) => c.name).join(', ')}) FROM STDIN (FORMAT binary)`),
    ) as Writable;
    const done = new Promise<void>((resolve, reject) => {
      stream.on('finish', resolve);
      stream.on('error', reject);
    });
    // eslint-disable-next-line prefer-const -- assigned once the encoder exists
    let writer: StageWriter;
    const encoder = new CopyBinaryEncoder(COLUMNS, (chunk) => {
      if (!stream.write(chunk) && !writer.drained)
        writer.drained = new Promise((resolve) => stream.once('drain', () => ((writer.drained = undefined), resolve())));
    });
    writer = new StageWriter(db, connection, stream, encoder, done);
    done.catch((error: unknown) => (writer.failed = error as Error));
    return writer;
  }

  /** Entries staged so far. */
  get entries(): number {
    return this.seq;
  }

  /** An accepted event, keyed by its aggregate; its opened subject is left out. */
  event(event: AcceptedEvent): void {
    const { opened: _opened, ...sealed } = event;
    const { kind, id } = aggregateOf(event);
    this.encoder.row({ aggregate: `${kind}:${id}`, dedupe: event.eventId, seq: this.seq++, body: v8.serialize(sealed) });
  }

  deadLetter(row: DeadLetterRow): void {
    const dedupe = `${row.source_topic}:${row.source_partition}:${row.source_offset}`;
    this.encoder.row({ aggregate: '', dedupe: `dead-letter:${dedupe}`, seq: this.seq++, body: v8.serialize(row) });
  }

  /** Resolves once PostgreSQL has taken what was written (or at once when it keeps up). */
  async ready(): Promise<void> {
    this.encoder.flush();
    if (this.failed) throw this.failed;
    await this.drained;
  }

  /** Ends the COPY (committing it) and gives the connection back. */
  async close(): Promise<void> {
    try {
      this.encoder.end();
      this.stream.end();
      await this.done;
    } finally {
      await this.db.client.releaseConnection(this.connection);
    }
  }
}

/**
 * The stage read back with one binary COPY on a connection of its own: each event id (each dead
 * letter's position) once, the first staged, as the live path keeps the first delivery; sorted by
 * aggregate, so every aggregate's events come together, in the order they were staged.
 */
export async function* readStage(db: Knex, schema: string): AsyncGenerator<StagedEntry> {
  const connection = (await db.client.acquireConnection()) as CopyConnection & { end(): Promise<void> };
  let completed = false;
  try {
    // The anti-join's hash and the sort stay in memory up to this much, then spill to disk.
    await connection.query("SET work_mem = '256MB'");
    await connection.query(`ANALYZE ${stageOf(schema)}`);
    const stream = connection.query(
      copyTo(
        `COPY (SELECT s.aggregate, s.body FROM ${stageOf(schema)} s
                WHERE NOT EXISTS (SELECT 1 FROM ${stageOf(schema)} t WHERE t.dedupe = s.dedupe AND t.seq < s.seq)
                ORDER BY s.aggregate, s.seq) TO STDOUT (FORMAT binary)`,
      ),
    ) as Readable;
    const decoder = new CopyBinaryDecoder();
    for await (const chunk of stream) {
      for (const [aggregate, body] of decoder.push(chunk as Buffer)) {
        const key = (aggregate as Buffer).toString('utf8');
        const value = v8.deserialize(body as Buffer) as AcceptedEvent & DeadLetterRow;
        yield key === '' ? { aggregate: '', deadLetter: value } : { aggregate: key, event: value };
      }
    }
    if (!decoder.complete) throw new Error('the rebuild stage was not read to its end');
    await connection.query('RESET work_mem');
    completed = true;
  } finally {
    // A read left halfway (the fold failed) leaves the connection inside its COPY: it is closed, not reused.
    if (!completed) await connection.end().catch(() => undefined);
    await db.client.releaseConnection(connection);
  }
}
