import { z } from 'zod';
import { MINISTRY_DEFAULT, MINISTRY_SYMBOLS, type Ministry } from '@passerelle/schemas/generated';
import committed from '@passerelle/schemas/parties.json' with { type: 'json' };
import { PartyRegistryError } from './errors.ts';

/** A party of the committed registry: every Ministry symbol but the UNKNOWN default. */
export type PartyId = Exclude<Ministry, 'UNKNOWN'>;

/**
 * One party to the information-sharing agreement, as schemas/parties.json declares it. `Id` is a
 * string for any registry (a test's fixture may add a party) and `PartyId` for the committed one.
 */
export interface Party<Id extends string = string> {
  /** Its Ministry enum symbol. */
  readonly id: Id;
  readonly displayName: { readonly en: string; readonly fr: string };
  /** Its topics are `<topicPrefix>.<family>.v1`; its principal may write that prefix only. */
  readonly topicPrefix: string;
  /** Its SCRAM user on Kafka (`User:<kafkaPrincipal>`). */
  readonly kafkaPrincipal: string;
  readonly adapter: {
    /** The folder under services/, the compose service and the telemetry service name. */
    readonly service: string;
    readonly package: string;
    /** The HTTP port `npm start` and compose give it, and its default. */
    readonly port: number;
    /** Its PostgreSQL schema (outbox, idempotency, source ids) and the database role named after it. */
    readonly databaseSchema: string;
  };
}

const kebab = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
const text = z
  .string()
  .min(1)
  .refine((value) => value === value.trim(), 'has leading or trailing spaces');

const partySchema = z.strictObject({
  id: z
    .string()
    .regex(/^[A-Z][A-Z0-9_]*$/, 'must be an Avro enum symbol (upper case, digits, underscores)')
    .refine((id) => id !== MINISTRY_DEFAULT, `${MINISTRY_DEFAULT} is the enum's default, not a party`),
  displayName: z.strictObject({ en: text, fr: text }),
  topicPrefix: z.string().regex(kebab, 'must be kebab case (it starts topic names)'),
  kafkaPrincipal: z.string().regex(kebab, 'must be kebab case'),
  adapter: z.strictObject({
    service: z.string().regex(/^adapter-[a-z0-9-]+$/, 'must be adapter-<name>'),
    package: z.string().regex(/^@passerelle\/[a-z0-9-]+$/, 'must be @passerelle/<name>'),
    port: z.int().min(1024).max(65535),
    databaseSchema: z.string().regex(/^[a-z_][a-z0-9_]*$/, 'must be a lower-case PostgreSQL identifier'),
  }),
});

const registrySchema = z
  .strictObject({ $comment: z.string().optional(), parties: z.array(partySchema).min(1) })
  .superRefine(({ parties }, context) => {
    const unique = (what: string, valueOf: (party: Party) => string | number): void => {
      const seen = new Map<string | number, string>();
      for (const party of parties) {
        const value = valueOf(party);
        const first = seen.get(value);
        if (first !== undefined) context.addIssue({ code: 'custom', message: `${party.id} has the same ${what} as ${first} (${value})` });
        else seen.set(value, party.id);
      }
    };
    unique('id', (p) => p.id);
    unique('topic prefix', (p) => p.topicPrefix);
    unique('Kafka principal', (p) => p.kafkaPrincipal);
    unique('adapter service', (p) => p.adapter.service);
    unique('adapter package', (p) => p.adapter.package);
    unique('adapter port', (p) => p.adapter.port);
    unique('database schema', (p) => p.adapter.databaseSchema);
  });

/** Validates a registry document (schemas/parties.json or a test's fixture) and returns its parties in order. */
export function parseParties(value: unknown, where = 'party registry'): readonly Party[] {
  const result = registrySchema.safeParse(value);
  if (!result.success) {
    throw new PartyRegistryError(
      where,
      result.error.issues.map((issue) => (issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message)),
    );
  }
  return result.data.parties;
}

/**
 * How the registry's ids differ from the Ministry enum's symbols (the default aside): the enum is
 * the schema's own source, and the registry lists the same parties in the same order. Empty when they agree.
 */
export function enumDrift(parties: readonly Party[], symbols: readonly string[] = MINISTRY_SYMBOLS): string[] {
  const expected = symbols.filter((symbol) => symbol !== MINISTRY_DEFAULT);
  const ids = parties.map((party) => party.id);
  const drift = [
    ...ids
      .filter((id) => !expected.includes(id))
      .map((id) => `${id}: in the registry, not a symbol of the Ministry enum (schemas/avro/ministry.avsc)`),
    ...expected
      .filter((symbol) => !ids.includes(symbol))
      .map((symbol) => `${symbol}: a symbol of the Ministry enum, missing from the registry`),
  ];
  if (drift.length === 0 && ids.join() !== expected.join())
    drift.push(`order: the registry lists ${ids.join(', ')}; the enum ${expected.join(', ')}`);
  return drift;
}

function committedParties(): readonly Party<PartyId>[] {
  const parties = parseParties(committed, 'schemas/parties.json');
  const drift = enumDrift(parties);
  if (drift.length > 0) throw new PartyRegistryError('schemas/parties.json', drift);
  // Checked just above: the ids are exactly the enum's symbols.
  return parties as readonly Party<PartyId>[];
}

/** The committed registry, schemas/parties.json: the default of everything derived from the parties. */
export const PARTIES: readonly Party<PartyId>[] = committedParties();

/** A party of a registry by its id; throws for an id the registry lacks. */
export function partyOf<Id extends string>(id: Id, parties: readonly Party<Id>[]): Party<Id>;
export function partyOf(id: PartyId): Party<PartyId>;
export function partyOf(id: string, parties: readonly Party[] = PARTIES): Party {
  const party = parties.find((p) => p.id === id);
  if (!party) throw new PartyRegistryError('party registry', [`no party ${id}`]);
  return party;
}

/**
 * The adapter's short name, its service without `adapter-` (`child-welfare`): how `npm start`'s
 * secrets, the demo and the test harness name a party's adapter.
 */
export function adapterNameOf(party: Pick<Party, 'adapter'>): string {
  return party.adapter.service.slice('adapter-'.length);
}
