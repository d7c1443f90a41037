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

/**
 * Accepts native records in one PostgreSQL transaction: idempotency records, source-id links,
 * new referral data keys and outbox rows commit together or not at all. Only after the commit
 * does the caller answer 202, so an acknowledged record is durable whatever Kafka is doing. A
 * referral's subject reaches the outbox only sealed under its data key (subject-sealing.ts).
 */
export class Acceptance {
  private readonly codecs: ReadonlyMap<EventType, EventCodec> = createCodecs();

  constructor(private readonly options: AcceptanceOptions) {}

  async accept(request: AcceptanceRequest): Promise<AcceptanceResult> {
    const { pseudonymiser } = this.options;
    if (request.idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(request.idempotencyKey)) {
      throw problems.validation([{ field: 'Idempotency-Key', reason: 'must be 1 to 200 visible ASCII characters' }]);
    }
    const requestKey =
      request.idempotencyKey === undefined
        ? undefined
        : pseudonymiser.sourceId('idempotency-key', `${request.route}|${request.idempotencyKey}`);
    const requestHash = pseudonymiser.body(canonicalJson(request.content));
    let added = 0;
    try {
      const result = await this.options.db.transaction(async (trx) => {
        if (requestKey !== undefined && !(await this.claim(trx, requestKey, requestHash))) {
          const previous = await this.previous(trx, requestKey);
          if (previous.body_hash !== requestHash)
            throw new Conflict([{ field: 'Idempotency-Key', reason: 'was used before with a different body' }], CONFLICT_DETAIL);
          throw new Replay(withNamedIds(previous.response));
        }
        const ids = this.allocator(trx);
        const events: AcceptedEvent[] = [];
        const entries: OutboxEntry[] = [];
        const conflicts: FieldProblem[] = [];
        const withdrawn: FieldProblem[] = [];
        const dangling: FieldProblem[] = [];
        let fresh = 0;
        for (const record of request.records) {
          const key = pseudonymiser.sourceId('record', record.sourceKey);
          const hash = pseudonymiser.body(canonicalJson(record.content));
          if (!(await this.claim(trx, key, hash))) {
            const previous = await this.previous(trx, key);
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
          // Inside the transaction: a refusal rolls back this request's claims too, so nothing is written.
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
            .where({ key_hash: requestKey })
            .update({ response: JSON.stringify(body) });
        added = entries.length;
        for (const entry of entries) this.options.accepted?.inc({ event_type: entry.eventType });
        return { status: 202 as const, replayed: fresh === 0, body };
      });
      if (added > 0) this.options.onCommitted?.();
      return result;
    } catch (error) {
      if (error instanceof Replay) return { status: 202, replayed: true, body: error.body };
      if (error instanceof Conflict) {
        throw new ProblemError(409, 'Conflict', { detail: error.detail, errors: error.problems });
      }
      throw error;
    }
  }

  /** Inserts the idempotency record; false when the key exists (waiting for a concurrent holder to finish). */
  private async claim(trx: Knex.Transaction, keyHash: string, bodyHash: string): Promise<boolean> {
    const inserted = await trx(IDEMPOTENCY_TABLE)
      .insert({ key_hash: keyHash, body_hash: bodyHash })
      .onConflict('key_hash')
      .ignore()
      .returning('key_hash');
    return inserted.length > 0;
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

  private async previous(trx: Knex.Transaction, keyHash: string): Promise<{ body_hash: string; response: AcceptanceBody }> {
    return (await trx(IDEMPOTENCY_TABLE).where({ key_hash: keyHash }).first()) as { body_hash: string; response: AcceptanceBody };
  }

  private allocator(trx: Knex.Transaction): IdAllocator {
    const { pseudonymiser } = this.options;
    return {
      async idFor(entity, sourceId) {
        const sourceHash = pseudonymiser.sourceId(entity, sourceId);
        await trx(SOURCE_IDS_TABLE)
          .insert({ entity, source_hash: sourceHash, entity_id: randomUUID() })
          .onConflict(['entity', 'source_hash'])
          .ignore();
        const row = (await trx(SOURCE_IDS_TABLE).where({ entity, source_hash: sourceHash }).first('entity_id')) as { entity_id: string };
        return row.entity_id;
      },
      async createdIdFor(entity, sourceId, field) {
        const sourceHash = pseudonymiser.sourceId(entity, sourceId);
        const row = (await trx(SOURCE_IDS_TABLE).where({ entity, source_hash: sourceHash }).first('entity_id')) as
          { entity_id: string } | undefined;
        if (row === undefined) throw new DanglingReference(field, entity);
        return row.entity_id;
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
