import { randomUUID } from 'node:crypto';
import type { Counter } from 'prom-client';
import {
  EVENT_TYPE_FACTS,
  createCodecs,
  messageKeyOf,
  topicFor,
  type EventCodec,
  type EventType,
  type KeyEncryptionKey,
  type TopicOwner,
} from '@passerelle/contracts';
import type { Knex } from '@passerelle/db';
import { ProblemError, problems, type FieldProblem } from '@passerelle/http';
import { appendToOutbox, type OutboxEntry } from '@passerelle/kafka';
import { IDEMPOTENCY_TABLE, SOURCE_IDS_TABLE } from './acceptance.migrations.ts';
import {
  GroupCommit,
  RetryFromSavepoint,
  isRetryableDatabaseError,
  type GroupCommitOptions,
  type GroupCommitStats,
} from './group-commit.ts';
import { canonicalJson } from './canonical-json.ts';
import type { CanonicalEvent, TraceContext } from './canonical-event.ts';
import { refuseWhatIsNotOurs } from './own-writes.ts';
import type { Pseudonymiser } from './pseudonymiser.ts';
import { sealReferralSubject } from './subject-sealing.ts';

/** What a ministry record becomes once accepted: the events and the ids they are keyed by. */
export interface AcceptedEvent {
  readonly eventId: string;
  readonly eventType: EventType;
  /** The referral's id, for ReferralCreated, ReferralStatusChanged and ConsentWithdrawn. */
  readonly referralId?: string;
  /** The gap's id, for ServiceGapReported and ServiceGapResolved. */
  readonly gapId?: string;
  /** The initiative's catalogue id, for InitiativeMilestoneRecorded. */
  readonly initiativeId?: string;
  /**
   * The same id under its former, unnamed field (the Kafka message key).
   * @deprecated kept one version for callers that read it; read referralId, gapId or initiativeId.
   */
  readonly key: string;
  /** Row of the batch the event came from, for CSV uploads. */
  readonly row?: number;
}

/** An accepted event as answered: its id under the event type's key field (EVENT_TYPE_FACTS), and under `key`. */
export function acceptedEvent(eventId: string, eventType: EventType, key: string): AcceptedEvent {
  return { eventId, eventType, [EVENT_TYPE_FACTS[eventType].keyField]: key, key };
}

/** A stored answer given again: one stored before the ids were named gets its named id, in the same order. */
function withNamedIds(body: AcceptanceBody): AcceptanceBody {
  return {
    events: body.events.map(({ eventId, eventType, key, row }) => ({
      ...acceptedEvent(eventId, eventType, key),
      ...(row === undefined ? {} : { row }),
    })),
  };
}

export interface AcceptanceBody {
  readonly events: readonly AcceptedEvent[];
}

export interface AcceptanceResult {
  readonly status: 202;
  /** True when nothing new was accepted: the answer is the one given the first time. */
  readonly replayed: boolean;
  readonly body: AcceptanceBody;
}

/**
 * The random ids Passerelle uses for a ministry's own record ids. Only a creation (a referral, a
 * gap report) allocates one, so a row in `source_ids` means this adapter accepted that record's
 * creation (rows allocated by a status before its creation, before this rule, count as created).
 */
export interface IdAllocator {
  /** For a creation: finds, or allocates on first sight, the id of the record it creates. */
  idFor(entity: 'referral' | 'gap', sourceId: string): Promise<string>;
  /**
   * For a record about an existing one (status change, consent withdrawal, Task, gap resolution):
   * the id of a record whose creation this adapter accepted, earlier or in this request. Otherwise
   * it throws DanglingReference and the request is refused (400) naming `field`, nothing written.
   */
  createdIdFor(entity: 'referral' | 'gap', sourceId: string, field: string): Promise<string>;
}

/** A lifecycle record names, by the ministry's own number, a record this adapter never accepted the creation of. */
class DanglingReference extends Error {
  constructor(
    /** Where the reference sits in the request (`referralNumber`, `row 3, column cas_reference`), never its value. */
    readonly field: string,
    readonly entity: 'referral' | 'gap',
  ) {
    super('dangling reference');
    this.name = 'DanglingReference';
  }
}

/** The reason a dangling reference is refused with: what to do, never the value. */
function danglingReason(entity: 'referral' | 'gap'): string {
  return entity === 'referral'
    ? 'names a referral this adapter never accepted; send its creation first (earlier, or before it in the same request), or name another ministry’s referral by referralId'
    : 'names a service gap this adapter never reported; send its report first (earlier, or before it in the same request), or name it by gapId';
}

export interface NativeRecord {
  /**
   * What makes this record the same record when it is sent again, such as
   * `referral|VWAP-2024-000123` or `task|T-77|completed|2025-03-01T10:00:00Z`. Stored only as an HMAC.
   */
  readonly sourceKey: string;
  /** The native record as received; only its keyed fingerprint is kept. */
  readonly content: unknown;
  /** Where the record sits in the request ("row 4"), for a conflict answer. */
  readonly label?: string;
  readonly row?: number;
  build(ids: IdAllocator): Promise<readonly CanonicalEvent[]>;
}

export interface AcceptanceRequest {
  /** The Idempotency-Key header, when the caller sent one; scoped by `route`. */
  readonly idempotencyKey?: string;
  readonly route: string;
  /** The whole request body, fingerprinted under the Idempotency-Key. */
  readonly content: unknown;
  readonly records: readonly NativeRecord[];
  readonly trace: TraceContext;
}

export interface AcceptanceOptions {
  readonly db: Knex;
  readonly ministry: TopicOwner;
  readonly pseudonymiser: Pseudonymiser;
  /** Wraps the referrals' data keys in the key store; a ReferralCreated leaves only sealed. */
  readonly keyEncryptionKey: KeyEncryptionKey;
  readonly accepted?: Counter;
  /** Called after each commit that added outbox rows (wakes the relay). */
  readonly onCommitted?: () => void;
  /** Group commit settings (group-commit.ts has the defaults) and the registry its group-size histogram goes to. */
  readonly groupCommit?: Omit<GroupCommitOptions, 'db' | 'finishTogether'>;
}

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/;

class Conflict extends Error {
  constructor(
    readonly problems: readonly FieldProblem[],
    readonly detail: string,
  ) {
    super('conflict');
  }
}

const CONFLICT_DETAIL = 'nothing was accepted: a record or key was accepted before with different content';
const DANGLING_DETAIL = 'nothing was accepted: a record names a referral or gap this adapter never accepted the creation of';
const WITHDRAWN_DETAIL = 'nothing was accepted: consent was withdrawn for a referral in this request, so it can no longer be shared';

class Replay extends Error {
  constructor(readonly body: AcceptanceBody) {
    super('replay');
  }
}

/** A record with its keyed fingerprints, computed once, outside the transaction. */
interface KeyedRecord {
  readonly record: NativeRecord;
  /** HMAC of the record's source key: its idempotency key. */
  readonly key: string;
  /** HMAC of its canonical content. */
  readonly hash: string;
}

/** The Idempotency-Key's HMAC (scoped by route) and the body's fingerprint under it. */
interface RequestKey {
  readonly key: string;
  readonly hash: string;
}

/** What one request's share of a group leaves: its answer, and the outbox rows it added. */
interface Accepted {
  readonly result: AcceptanceResult;
  readonly entries: readonly OutboxEntry[];
}

/** An idempotency row as written once: the key, the fingerprint, the answer. */
interface Claim {
  readonly key_hash: string;
  readonly body_hash: string;
  readonly response: string;
}

/** A request built optimistically: its answer, and the rows still to write (claims, then outbox rows). */
interface Prepared extends Accepted {
  readonly claims: readonly Claim[];
}

/** A stored idempotency record: the fingerprint it was accepted with, and its answer. */
interface Previous {
  readonly body_hash: string;
  readonly response: AcceptanceBody;
}

interface SourceIdAsk {
  readonly entity: string;
  readonly sourceHash: string;
  readonly create: boolean;
  /** The asking request's place in its group. */
  readonly position: number;
  readonly resolve: (id: string | undefined) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * The source ids of a group's requests tried together. What they ask for in one turn of the event
 * loop goes to PostgreSQL in one statement (creations inserted, the rest read), instead of one
 * statement each; and a request finds created only what it or a request before it created.
 */
class GroupSourceIds {
  /** Each source id created in this group, by the first request (position) creating it. */
  private readonly creators = new Map<string, number>();
  private asks: SourceIdAsk[] = [];

  constructor(private readonly trx: Knex.Transaction) {}

  created(entity: string, sourceHash: string, position: number): void {
    const key = `${entity}|${sourceHash}`;
    this.creators.set(key, Math.min(this.creators.get(key) ?? position, position));
  }

  /** False when only a later request of the group creates it: as one after the other, it is not there yet. */
  visibleTo(entity: string, sourceHash: string, position: number): boolean {
    const creator = this.creators.get(`${entity}|${sourceHash}`);
    return creator === undefined || creator <= position;
  }

  /** The id, created when `create`; undefined when not there (or committed by another transaction after the statement's snapshot). */
  load(entity: string, sourceHash: string, create: boolean, position: number): Promise<string | undefined> {
    return new Promise((resolve, reject) => {
      this.asks.push({ entity, sourceHash, create, position, resolve, reject });
      if (this.asks.length === 1) setImmediate(() => void this.flush());
    });
  }

  private async flush(): Promise<void> {
    const asks = this.asks;
    this.asks = [];
    const wanted = new Map<string, { entity: string; sourceHash: string; create: boolean }>();
    for (const { entity, sourceHash, create } of asks) {
      const key = `${entity}|${sourceHash}`;
      wanted.set(key, { entity, sourceHash, create: create || (wanted.get(key)?.create ?? false) });
    }
    // In key order: concurrent groups take these rows' locks in the same order, so they wait for each other, never in a circle.
    const rows = [...wanted.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, row]) => row);
    try {
      const result = await this.trx.raw<{ rows: { entity: string; source_hash: string; entity_id: string }[] }>(
        `WITH wanted AS (
           SELECT * FROM unnest(?::text[], ?::text[], ?::uuid[], ?::boolean[]) AS w(entity, source_hash, entity_id, creates)
         ),
         inserted AS (
           INSERT INTO ${SOURCE_IDS_TABLE} (entity, source_hash, entity_id)
           SELECT entity, source_hash, entity_id FROM wanted WHERE creates
           ON CONFLICT (entity, source_hash) DO NOTHING RETURNING entity, source_hash, entity_id
         )
         SELECT entity, source_hash, entity_id FROM inserted
         UNION ALL
         SELECT s.entity, s.source_hash, s.entity_id FROM ${SOURCE_IDS_TABLE} s JOIN wanted w USING (entity, source_hash)`,
        [rows.map((r) => r.entity), rows.map((r) => r.sourceHash), rows.map(() => randomUUID()), rows.map((r) => r.create)],
      );
      const ids = new Map(result.rows.map((row) => [`${row.entity}|${row.source_hash}`, row.entity_id]));
      for (const ask of asks) {
        // A creation by a later request of the group, asked for in the same turn, is not there yet for this one.
        const visible = ask.create || this.visibleTo(ask.entity, ask.sourceHash, ask.position);
        ask.resolve(visible ? ids.get(`${ask.entity}|${ask.sourceHash}`) : undefined);
      }
    } catch (error) {
      for (const ask of asks) ask.reject(error);
    }
  }
}

/**
 * Accepts native records: idempotency records, source-id links, new referral data keys and outbox
 * rows commit together or not at all. Requests arriving together share one transaction (group
 * commit, group-commit.ts), each in a savepoint of its own, so each keeps its own answer and a
 * refusal leaves nothing of it. Only after the group's commit does the caller answer 202, so an
 * acknowledged record is durable whatever Kafka is doing. A referral's subject reaches the outbox
 * only sealed under its data key (subject-sealing.ts).
 *
 * A request is first tried optimistically: records built, then every idempotency row written once
 * with its answer in one statement, then the outbox rows. When a key turns out to be taken (a
 * replay, a conflict, the same record earlier in the group or in a concurrent one) or a record is
 * refused, that attempt is rolled back to the savepoint and the careful path decides: claim each
 * key first, answer a replay or a conflict from what is stored, exactly as one request at a time.
 */
export class Acceptance {
  private readonly codecs: ReadonlyMap<EventType, EventCodec> = createCodecs();
  private readonly group: GroupCommit;
  /** Requests tried together: the source ids of their group's transaction. */
  private readonly sourceIdsInGroup = new WeakMap<Knex.Transaction, GroupSourceIds>();

  constructor(private readonly options: AcceptanceOptions) {
    this.group = new GroupCommit({
      ...options.groupCommit,
      db: options.db,
      finishTogether: (trx, values) => this.write(trx, values as readonly Prepared[]),
    });
  }

  /** Groups committed and requests they carried. */
  get groupStats(): GroupCommitStats {
    return this.group.stats;
  }

  async accept(request: AcceptanceRequest): Promise<AcceptanceResult> {
    const { pseudonymiser } = this.options;
    if (request.idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(request.idempotencyKey)) {
      throw problems.validation([{ field: 'Idempotency-Key', reason: 'must be 1 to 200 visible ASCII characters' }]);
    }
    // The body is fingerprinted only under an Idempotency-Key: without one, nothing reads it.
    const requestKey: RequestKey | undefined =
      request.idempotencyKey === undefined
        ? undefined
        : {
            key: pseudonymiser.sourceId('idempotency-key', `${request.route}|${request.idempotencyKey}`),
            hash: pseudonymiser.body(canonicalJson(request.content)),
          };
    const records: KeyedRecord[] = request.records.map((record) => ({
      record,
      key: pseudonymiser.sourceId('record', record.sourceKey),
      hash: pseudonymiser.body(canonicalJson(record.content)),
    }));
    try {
      const { result, entries } = await this.group.submit<Accepted>({
        together: (trx, position) => this.prepare(trx, request, records, requestKey, position),
        alone: async (trx, attempt) => {
          if (attempt > 1) return this.acceptCarefully(trx, request, records, requestKey);
          const prepared = await this.prepare(trx, request, records, requestKey);
          await this.write(trx, [prepared]);
          return prepared;
        },
      });
      for (const entry of entries) this.options.accepted?.inc({ event_type: entry.eventType });
      if (entries.length > 0) this.options.onCommitted?.();
      return result;
    } catch (error) {
      if (error instanceof Replay) return { status: 202, replayed: true, body: error.body };
      if (error instanceof Conflict) {
        throw new ProblemError(409, 'Conflict', { detail: error.detail, errors: error.problems });
      }
      throw error;
    }
  }

  /**
   * Every record new: builds them (source ids, data keys) and prepares their idempotency rows with
   * their answers and their outbox rows, for `write`. Anything else (a refusal, a failure) hands
   * over to the careful path, which finds a replay, a conflict or the refusal again.
   */
  private async prepare(
    trx: Knex.Transaction,
    request: AcceptanceRequest,
    records: readonly KeyedRecord[],
    requestKey: RequestKey | undefined,
    position?: number,
  ): Promise<Prepared> {
    const events: AcceptedEvent[] = [];
    const entries: OutboxEntry[] = [];
    const claims: Claim[] = [];
    try {
      const ids = this.allocator(trx, position);
      for (const { record, key, hash } of records) {
        const built = await record.build(ids);
        for (const event of built) refuseWhatIsNotOurs(event, this.options.ministry);
        const sealed = await this.seal(trx, built);
        if (sealed === undefined) throw new RetryFromSavepoint();
        const mine = sealed.map((event) => this.toOutbox(event, request.trace));
        const accepted = sealed.map((event, i) => acceptedEvent(event.payload.envelope.eventId, event.type, mine[i]?.key ?? ''));
        claims.push({ key_hash: key, body_hash: hash, response: JSON.stringify({ events: accepted }) });
        entries.push(...mine);
        events.push(...accepted.map((event) => ({ ...event, ...(record.row === undefined ? {} : { row: record.row }) })));
      }
    } catch (error) {
      // A deadlock is the group's to retry; any other error the careful path meets again, or not (a replay).
      if (isRetryableDatabaseError(error)) throw error;
      throw new RetryFromSavepoint();
    }
    const body: AcceptanceBody = { events };
    if (requestKey !== undefined) claims.push({ key_hash: requestKey.key, body_hash: requestKey.hash, response: JSON.stringify(body) });
    return { result: { status: 202, replayed: records.length === 0, body }, entries, claims };
  }

  /**
   * Writes prepared requests: every idempotency row once, with its answer, in one statement, then
   * every outbox row in another. A key already taken (earlier in this group, by a concurrent one,
   * twice in one request) is waited for, then skipped: the throw hands over to the careful path.
   */
  private async write(trx: Knex.Transaction, prepared: readonly Prepared[]): Promise<void> {
    // In key order, for the same reason as the source ids (GroupSourceIds); the outbox rows keep arrival order.
    const claims = prepared.flatMap((p) => p.claims).sort((a, b) => (a.key_hash < b.key_hash ? -1 : a.key_hash > b.key_hash ? 1 : 0));
    if (claims.length > 0) {
      const inserted = await trx(IDEMPOTENCY_TABLE).insert(claims).onConflict('key_hash').ignore().returning('key_hash');
      if (inserted.length < claims.length) throw new RetryFromSavepoint();
    }
    await appendToOutbox(
      trx,
      prepared.flatMap((p) => p.entries),
    );
  }

  /** One request as if alone: each key claimed first, a taken key answered from what is stored. */
  private async acceptCarefully(
    trx: Knex.Transaction,
    request: AcceptanceRequest,
    records: readonly KeyedRecord[],
    requestKey: RequestKey | undefined,
  ): Promise<Accepted> {
    if (requestKey !== undefined) {
      const previous = await this.claim(trx, requestKey.key, requestKey.hash);
      if (previous !== undefined) {
        if (previous.body_hash !== requestKey.hash)
          throw new Conflict([{ field: 'Idempotency-Key', reason: 'was used before with a different body' }], CONFLICT_DETAIL);
        throw new Replay(withNamedIds(previous.response));
      }
    }
    const ids = this.allocator(trx);
    const events: AcceptedEvent[] = [];
    const entries: OutboxEntry[] = [];
    const conflicts: FieldProblem[] = [];
    const withdrawn: FieldProblem[] = [];
    const dangling: FieldProblem[] = [];
    let fresh = 0;
    for (const { record, key, hash } of records) {
      const previous = await this.claim(trx, key, hash);
      if (previous !== undefined) {
        if (previous.body_hash !== hash) {
          conflicts.push({ field: record.label ?? 'body', reason: 'a different record was accepted before under the same source id' });
          continue;
        }
        events.push(
          ...withNamedIds(previous.response).events.map((event) => ({
            ...event,
            ...(record.row === undefined ? {} : { row: record.row }),
          })),
        );
        continue;
      }
      let built: readonly CanonicalEvent[];
      try {
        built = await record.build(ids);
      } catch (error) {
        // Every dangling reference of a batch is listed; the throw below rolls this record's claim back.
        if (!(error instanceof DanglingReference)) throw error;
        dangling.push({ field: error.field, reason: danglingReason(error.entity) });
        continue;
      }
      // Inside the savepoint: a refusal rolls back this request's claims too, so nothing is written.
      for (const event of built) refuseWhatIsNotOurs(event, this.options.ministry);
      const sealed = await this.seal(trx, built);
      if (sealed === undefined) {
        // The label only ("row 4", "body"): never the record's identifiers.
        withdrawn.push({ field: record.label ?? 'body', reason: 'consent to share this referral was withdrawn' });
        continue;
      }
      const mine = sealed.map((event) => this.toOutbox(event, request.trace));
      const accepted = sealed.map((event, i) => acceptedEvent(event.payload.envelope.eventId, event.type, mine[i]?.key ?? ''));
      await trx(IDEMPOTENCY_TABLE)
        .where({ key_hash: key })
        .update({ response: JSON.stringify({ events: accepted }) });
      entries.push(...mine);
      events.push(...accepted.map((event) => ({ ...event, ...(record.row === undefined ? {} : { row: record.row }) })));
      fresh += 1;
    }
    if (dangling.length > 0) throw problems.validation(dangling, DANGLING_DETAIL);
    if (conflicts.length > 0) throw new Conflict(conflicts, CONFLICT_DETAIL);
    if (withdrawn.length > 0) throw new Conflict(withdrawn, WITHDRAWN_DETAIL);
    await appendToOutbox(trx, entries);
    const body: AcceptanceBody = { events };
    if (requestKey !== undefined)
      await trx(IDEMPOTENCY_TABLE)
        .where({ key_hash: requestKey.key })
        .update({ response: JSON.stringify(body) });
    return { result: { status: 202, replayed: fresh === 0, body }, entries };
  }

  /**
   * Inserts the idempotency record, or reads the one there, in one statement: undefined when
   * claimed, the stored record otherwise (after waiting for a concurrent holder to finish).
   */
  private async claim(trx: Knex.Transaction, keyHash: string, bodyHash: string): Promise<Previous | undefined> {
    const result = await trx.raw<{ rows: { claimed: boolean; body_hash: string; response: AcceptanceBody }[] }>(
      `WITH claimed AS (
         INSERT INTO ${IDEMPOTENCY_TABLE} (key_hash, body_hash) VALUES (?, ?) ON CONFLICT (key_hash) DO NOTHING RETURNING key_hash
       )
       SELECT true AS claimed, NULL AS body_hash, NULL::jsonb AS response FROM claimed
       UNION ALL
       SELECT false, body_hash, response FROM ${IDEMPOTENCY_TABLE} WHERE key_hash = ? AND NOT EXISTS (SELECT 1 FROM claimed)`,
      [keyHash, bodyHash, keyHash],
    );
    const row = result.rows[0];
    if (row?.claimed === true) return undefined;
    if (row !== undefined) return row;
    // Claimed by a transaction that committed while this statement waited, after its snapshot: read it now.
    const previous = await this.previous(trx, keyHash);
    if (previous === undefined) throw new Error('an idempotency key was neither claimed nor found');
    return previous;
  }

  /**
   * The events with every ReferralCreated sealed (its data key created in this transaction when
   * new); undefined when a referral's key was destroyed, which refuses the whole request.
   */
  private async seal(trx: Knex.Transaction, events: readonly CanonicalEvent[]): Promise<CanonicalEvent[] | undefined> {
    const sealed: CanonicalEvent[] = [];
    for (const event of events) {
      const outcome = await sealReferralSubject(trx, this.options.keyEncryptionKey, this.options.ministry, event);
      if ('withdrawn' in outcome) return undefined;
      sealed.push(outcome.sealed);
    }
    return sealed;
  }

  private async previous(trx: Knex.Transaction, keyHash: string): Promise<Previous | undefined> {
    return (await trx(IDEMPOTENCY_TABLE).where({ key_hash: keyHash }).first('body_hash', 'response')) as Previous | undefined;
  }

  /**
   * `position` (requests tried together): the records a request may find created are those of
   * requests before it in its group, as one after the other; a creation by a later one counts as
   * not there yet, which sends the group one by one.
   */
  private allocator(trx: Knex.Transaction, position?: number): IdAllocator {
    const { pseudonymiser } = this.options;
    let group = this.sourceIdsInGroup.get(trx);
    if (position !== undefined && group === undefined) this.sourceIdsInGroup.set(trx, (group = new GroupSourceIds(trx)));
    return {
      async idFor(entity, sourceId) {
        const sourceHash = pseudonymiser.sourceId(entity, sourceId);
        if (position !== undefined && group !== undefined) {
          group.created(entity, sourceHash, position);
          const found = await group.load(entity, sourceHash, true, position);
          if (found !== undefined) return found;
        } else {
          // Inserted, or the one there, in one statement.
          const result = await trx.raw<{ rows: { entity_id: string }[] }>(
            `WITH inserted AS (
               INSERT INTO ${SOURCE_IDS_TABLE} (entity, source_hash, entity_id) VALUES (?, ?, ?)
               ON CONFLICT (entity, source_hash) DO NOTHING RETURNING entity_id
             )
             SELECT entity_id FROM inserted
             UNION ALL
             SELECT entity_id FROM ${SOURCE_IDS_TABLE} WHERE entity = ? AND source_hash = ?`,
            [entity, sourceHash, randomUUID(), entity, sourceHash],
          );
          const found = result.rows[0]?.entity_id;
          if (found !== undefined) return found;
        }
        // Inserted by a transaction that committed while this statement waited, after its snapshot: read it now.
        const row = (await trx(SOURCE_IDS_TABLE).where({ entity, source_hash: sourceHash }).first('entity_id')) as { entity_id: string };
        return row.entity_id;
      },
      async createdIdFor(entity, sourceId, field) {
        const sourceHash = pseudonymiser.sourceId(entity, sourceId);
        let found: string | undefined;
        if (position !== undefined && group !== undefined) {
          if (!group.visibleTo(entity, sourceHash, position)) throw new DanglingReference(field, entity);
          found = await group.load(entity, sourceHash, false, position);
        } else {
          const row = (await trx(SOURCE_IDS_TABLE).where({ entity, source_hash: sourceHash }).first('entity_id')) as
            { entity_id: string } | undefined;
          found = row?.entity_id;
        }
        if (found === undefined) throw new DanglingReference(field, entity);
        return found;
      },
    };
  }

  /**
   * Validates against the local Avro schema before the row is written: a mapping bug must fail
   * this request, not sit in the outbox as a row the relay can never encode.
   */
  private toOutbox(event: CanonicalEvent, trace: TraceContext): OutboxEntry {
    const codec = this.codecs.get(event.type);
    const issues = codec?.validate(event.payload) ?? [`no local schema for ${event.type}`];
    if (issues.length > 0) throw new Error(`the mapped ${event.type} does not satisfy its schema: ${issues.join('; ')}`);
    const traceContext: Record<string, string> = {};
    if (trace.traceparent) traceContext['traceparent'] = trace.traceparent;
    if (trace.tracestate) traceContext['tracestate'] = trace.tracestate;
    return {
      eventId: event.payload.envelope.eventId,
      eventType: event.type,
      topic: topicFor(this.options.ministry, event.type),
      key: messageKeyOf(event.type, event.payload as never),
      payload: event.payload,
      traceContext,
    };
  }
}
