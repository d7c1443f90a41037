import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { allMinistryTopics, EventSerde, RegistryClient } from '@passerelle/contracts';
import { TEST_KEY_ENCRYPTION_KEY_HEX } from '@passerelle/contracts/testing';
import { createDatabase, type Knex } from '@passerelle/db';
import { REPO_ROOT } from '@passerelle/infra';
import { consumerGroupLag, createKafka, readTopic, relayLockKey } from '@passerelle/kafka';
import {
  createTestDatabase,
  freePort,
  kafkaEnvFor,
  kafkaOptionsFor,
  processGroupGone,
  waitFor,
  type KafkaPrincipal,
  type TestDatabase,
  type TestStack,
} from '@passerelle/testing';
import { FAULT_RESULTS_DIR, type FaultRow } from './fault-table.ts';
import { VIEW_TABLE } from '@passerelle/coordination-view';

/** One consumer group for the whole suite: each scenario's projector resumes where the previous one stopped, so it never re-reads earlier scenarios' events. */
export const FAULT_CONSUMER_GROUP = 'passerelle-projector-faults';
export const PROJECTOR_APPLICATION_NAME = 'passerelle-projector';
/** The projector's record-key secret in every scenario (a test value). */
const FAULT_RECORD_KEY_SECRET = 'test-only-record-key-secret-for-the-fault-suite-0001';

export const FAULT_ADAPTERS = ['justice', 'education', 'coordination-office'] as const;
export type FaultAdapter = (typeof FAULT_ADAPTERS)[number];

const schemaOf = (adapter: FaultAdapter): string => `adapter_${adapter.replace(/-/g, '_')}`;

export { waitFor };

/**
 * A service as `npm start` runs it: `tsx services/<name>/src/main.ts` in its own process group
 * (tsx runs the service in a child node process, and a SIGKILL must reach both), configured by
 * the environment only. `restart()` starts it again on the same port with the same variables.
 */
export class ServiceProcess {
  private child: ChildProcess | undefined;
  private text = '';
  /** Times the process ended without being asked to (other than by our SIGKILL). */
  unexpectedExits = 0;
  private expectingExit = false;

  constructor(
    readonly name: string,
    readonly port: number,
    private readonly env: Record<string, string>,
    /** Every line the service writes is appended here, for the post-mortem of a failed scenario. */
    private readonly logFile: string,
  ) {
    fs.mkdirSync(path.dirname(logFile), { recursive: true });
    fs.rmSync(logFile, { force: true });
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The last few kilobytes of output, for failure messages (services log no personal data). */
  output(): string {
    return this.text.slice(-4_000);
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  async start(): Promise<void> {
    const child = spawn(
      path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx'),
      [path.join(REPO_ROOT, 'services', this.name, 'src', 'main.ts')],
      {
        cwd: path.join(REPO_ROOT, 'services', this.name),
        env: {
          PATH: process.env['PATH'] ?? '',
          HOME: process.env['HOME'] ?? '',
          OTEL_TRACES_EXPORTER: 'none',
          LOG_LEVEL: 'warn',
          ...this.env,
          PORT: String(this.port),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      },
    );
    this.expectingExit = false;
    this.child = child;
    const keep = (chunk: Buffer): void => {
      this.text = (this.text + chunk.toString('utf8')).slice(-20_000);
      fs.appendFileSync(this.logFile, chunk);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.once('exit', () => {
      if (!this.expectingExit) this.unexpectedExits += 1;
    });
    await waitFor(
      `${this.name} to answer /readyz (output: ${this.output()})`,
      async () => {
        if (!this.running) throw new Error(`${this.name} exited: ${this.output()}`);
        const response = await fetch(`${this.url}/readyz`, { signal: AbortSignal.timeout(2_000) });
        await response.arrayBuffer();
        return response.ok;
      },
      90_000,
      300,
    );
  }

  /** SIGKILL to the whole process group, then wait until none of it is left. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child?.pid || !this.running) return;
    this.expectingExit = true;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    process.kill(-child.pid, 'SIGKILL');
    await exited;
    await processGroupGone(`${this.name}'s process group to be gone`, child.pid);
  }

  /** SIGTERM (a clean stop), escalating to SIGKILL after `graceMs`. */
  async stop(graceMs = 20_000): Promise<void> {
    const child = this.child;
    if (!child?.pid || !this.running) return;
    this.expectingExit = true;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => this.kill(), graceMs);
    await exited;
    clearTimeout(timer);
    try {
      process.kill(-(child.pid as number), 'SIGKILL');
    } catch {
      // the group is gone already
    }
  }
}

export interface AdapterService {
  readonly ministry: FaultAdapter;
  readonly process: ServiceProcess;
  readonly token: string;
  readonly schema: string;
}

/** Three adapters and the projector as child processes on a fresh database of the scenario's own. */
export class FaultServices {
  private constructor(
    readonly stack: TestStack,
    readonly database: TestDatabase,
    readonly db: Knex,
    readonly adapters: Record<FaultAdapter, AdapterService>,
    readonly projector: ServiceProcess,
  ) {}

  static async start(stack: TestStack, scenario: string): Promise<FaultServices> {
    const database = await createTestDatabase(stack.databaseUrl, `faults_${scenario}`);
    const logs = path.join(FAULT_RESULTS_DIR, 'logs', scenario);
    const db = createDatabase({ url: database.url, poolMax: 4, applicationName: 'passerelle-fault-suite' });
    const entries = await Promise.all(
      FAULT_ADAPTERS.map(async (ministry): Promise<[FaultAdapter, AdapterService]> => {
        const token = randomBytes(24).toString('hex');
        const schema = schemaOf(ministry);
        const env = {
          DATABASE_URL: database.url,
          PASSERELLE_DB_SCHEMA: schema,
          PASSERELLE_REGISTRY_URL: stack.registryUrl,
          PASSERELLE_MINISTRY_TOKEN: token,
          PASSERELLE_RATE_LIMIT_PER_MINUTE: '0',
          PASSERELLE_PSEUDONYM_KEY: randomBytes(24).toString('hex'),
          PASSERELLE_KEY_ENCRYPTION_KEY: TEST_KEY_ENCRYPTION_KEY_HEX,
          ...kafkaEnvFor(stack, ministry as KafkaPrincipal),
        };
        return [
          ministry,
          {
            ministry,
            token,
            schema,
            process: new ServiceProcess(`adapter-${ministry}`, await freePort(), env, path.join(logs, `adapter-${ministry}.log`)),
          },
        ];
      }),
    );
    const adapters = Object.fromEntries(entries) as Record<FaultAdapter, AdapterService>;
    const projector = new ServiceProcess(
      'projector',
      await freePort(),
      {
        DATABASE_URL: database.url,
        PASSERELLE_VIEW_SCHEMA: 'view',
        PASSERELLE_REGISTRY_URL: stack.registryUrl,
        PASSERELLE_RECORD_KEY_SECRET: FAULT_RECORD_KEY_SECRET,
        PASSERELLE_KEY_ENCRYPTION_KEY: TEST_KEY_ENCRYPTION_KEY_HEX,
        PASSERELLE_CONSUMER_GROUP: FAULT_CONSUMER_GROUP,
        ...kafkaEnvFor(stack, 'projector'),
      },
      path.join(logs, 'projector.log'),
    );
    const services = new FaultServices(stack, database, db, adapters, projector);
    // One at a time: five tsx start-ups at once on a small machine take longer than in a row.
    for (const adapter of Object.values(adapters)) await adapter.process.start();
    await projector.start();
    return services;
  }

  async stop(): Promise<void> {
    await Promise.all([...Object.values(this.adapters).map((a) => a.process.stop()), this.projector.stop()]);
    await this.db.destroy();
    await this.database.drop();
  }

  /** Every eventId in the adapters' outboxes: what the adapters made durable. */
  async outboxEventIds(): Promise<Set<string>> {
    const ids = new Set<string>();
    for (const adapter of Object.values(this.adapters)) {
      const exists = (await this.db('information_schema.tables').where({ table_schema: adapter.schema, table_name: 'outbox' })).length > 0;
      if (!exists) continue;
      for (const id of (await this.db.withSchema(adapter.schema).table('outbox').pluck('event_id')) as string[]) ids.add(id);
    }
    return ids;
  }

  async unpublished(): Promise<number> {
    let total = 0;
    for (const adapter of Object.values(this.adapters)) {
      const [row] = await this.db.withSchema(adapter.schema).table('outbox').whereNull('published_at').count({ n: '*' });
      total += Number(row?.['n'] ?? 0);
    }
    return total;
  }

  /**
   * Holds the adapter's outbox relay back, as a slow or unreachable Kafka would, by taking the
   * advisory lock its relay takes for each batch; accepted rows wait in the outbox until the
   * returned function releases it. Makes "killed with rows accepted but unpublished" certain
   * rather than a matter of timing.
   */
  async holdRelay(adapter: FaultAdapter): Promise<() => Promise<void>> {
    const { schema } = this.adapters[adapter];
    const key = relayLockKey(`adapter-${adapter}:${schema}`);
    const holder = createDatabase({ url: this.database.url, poolMax: 1, applicationName: 'passerelle-fault-relay-hold' });
    await holder.raw('SELECT pg_advisory_lock(?)', [key]);
    return async () => {
      await holder.raw('SELECT pg_advisory_unlock(?)', [key]);
      await holder.destroy();
    };
  }

  /** How many of `ids` the projector has recorded as processed. */
  async appliedCount(ids: readonly string[]): Promise<number> {
    if (ids.length === 0) return 0;
    const result = await this.db.raw<{ rows: { n: string }[] }>(
      `SELECT count(*) AS n FROM view.${VIEW_TABLE.processed_events} WHERE event_id = ANY(?::uuid[])`,
      [[...ids]],
    );
    return Number(result.rows[0]?.n ?? 0);
  }

  /** A projector transaction open right now (killing or cutting at this moment hits it mid-batch). */
  async projectorInTransaction(): Promise<boolean> {
    const rows = await this.db('pg_stat_activity')
      .where({ datname: this.database.name, application_name: PROJECTOR_APPLICATION_NAME })
      .whereIn('state', ['active', 'idle in transaction']);
    return rows.length > 0;
  }

  /** Terminates every PostgreSQL backend of the projector; returns how many there were. */
  async terminateProjectorBackends(): Promise<number> {
    const result = await this.db.raw<{ rows: { ok: boolean }[] }>(
      'SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE datname = ? AND application_name = ?',
      [this.database.name, PROJECTOR_APPLICATION_NAME],
    );
    return result.rows.filter((r) => r.ok).length;
  }

  async consumerLag(): Promise<number> {
    const kafka = createKafka({ ...kafkaOptionsFor(this.stack, 'admin', 'fault-suite-lag'), retries: 1 });
    const admin = kafka.admin();
    await admin.connect();
    try {
      const topics = allMinistryTopics().map((t) => t.name);
      return (await consumerGroupLag(admin, FAULT_CONSUMER_GROUP, topics)).reduce((sum, p) => sum + p.lag, 0);
    } finally {
      await admin.disconnect();
    }
  }
}

/** A justice referral of the load, told apart by `tag` (its referral number and person id). */
function justiceReferralBody(tag: string, region: string, referredAt: string): Record<string, unknown> {
  return {
    referralNumber: `VWAP-${tag}`,
    program: 'vwap',
    victim: { personId: `JP-${tag}` },
    referredTo: { serviceType: 'community_agency' },
    supportNeeded: 'housing',
    region,
    urgency: 'routine',
    consent: 'standard',
    referredAt,
  };
}

interface Submission {
  readonly adapter: FaultAdapter;
  readonly path: string;
  readonly body: unknown;
  readonly contentType?: string;
  /** A referral or gap reference this submission creates, usable by later lifecycle records once acknowledged. */
  readonly creates?: { readonly kind: 'justice-referral' | 'education-referral' | 'education-gap'; readonly ref: string };
}

export interface LoadOptions {
  readonly requests: number;
  readonly ratePerSecond: number;
  readonly concurrency?: number;
}

/**
 * A steady stream of ministry records through the adapters' HTTP APIs: referrals (JSON and
 * CSV), status changes, service gaps and resolutions, milestones of two ministries. A request
 * that gets no answer or a 5xx is sent again later with the same content, as a ministry system
 * would: the adapter's idempotency gives back the same eventIds if it had committed it.
 */
export class LoadGenerator {
  /** eventIds of every 202 answer. */
  readonly acknowledged = new Set<string>();
  readonly rejected: string[] = [];
  retries = 0;
  sent = 0;
  private readonly refs = { 'justice-referral': [] as string[], 'education-referral': [] as string[], 'education-gap': [] as string[] };
  private readonly retryQueue: { submission: Submission; notBefore: number }[] = [];
  private inFlight = 0;
  private bursts = 0;
  private readonly pending = new Set<Promise<void>>();
  private loop: Promise<void> | undefined;

  constructor(
    private readonly services: FaultServices,
    private readonly tag: string,
    private readonly options: LoadOptions,
  ) {}

  start(): void {
    const progress = setInterval(
      () =>
        console.log(
          `[fault load ${this.tag}] sent ${this.sent}/${this.options.requests}, acknowledged events ${this.acknowledged.size}, in flight ${this.inFlight}, retries ${this.retries}, rejected ${this.rejected.length}`,
        ),
      10_000,
    );
    this.loop = this.run().finally(() => clearInterval(progress));
  }

  /** Resolves once `fraction` of the planned requests have been sent. */
  async reached(fraction: number): Promise<void> {
    await waitFor(
      `${Math.round(fraction * 100)} % of the load sent`,
      async () => this.sent >= this.options.requests * fraction,
      600_000,
      100,
    );
  }

  /** Resolves when every planned request has had its 202 (or a 4xx, recorded as rejected). */
  async done(): Promise<void> {
    await this.loop;
  }

  private submission(i: number): Submission {
    const tag = `${this.tag}-${i}`;
    const minute = new Date(Date.UTC(2025, 0, 1) + i * 60_000).toISOString().replace('.000Z', 'Z');
    const day = minute.slice(0, 10);
    // Each referral gets one status change and each gap one resolution (a second would be a different record under the same source key).
    const pick = (list: string[]): string | undefined => list.shift();
    const justiceReferral = (): Submission => ({
      adapter: 'justice',
      path: '/referrals',
      body: justiceReferralBody(tag, 'toronto', minute),
      creates: { kind: 'justice-referral', ref: `VWAP-${tag}` },
    });
    const educationReferral = (): Submission => ({
      adapter: 'education',
      path: '/referrals',
      body: {
        boardNumber: 'B66052',
        boardReferralId: `TDSB-${tag}`,
        student: { oen: `10000000${i % 5}` },
        referredTo: { serviceType: 'community_agency' },
        supportNeeded: 'mental_health',
        region: 'east',
        urgency: 'priority',
        consent: 'standard',
        referredOn: minute,
      },
      creates: { kind: 'education-referral', ref: `TDSB-${tag}` },
    });
    switch (i % 10) {
      case 0:
      case 8:
        return justiceReferral();
      case 1:
        return educationReferral();
      case 2: {
        const ref = pick(this.refs['justice-referral']);
        return ref
          ? { adapter: 'justice', path: '/referrals/status-changes', body: { referralNumber: ref, status: 'accepted', changedAt: minute } }
          : justiceReferral();
      }
      case 3:
        return {
          adapter: 'education',
          path: '/service-gaps',
          body: {
            gapReference: `GAP-${tag}`,
            observedAt: minute,
            region: 'north_east',
            serviceCategory: 'housing',
            severity: 'high',
            gapCode: 'capacity_exceeded',
          },
          creates: { kind: 'education-gap', ref: `GAP-${tag}` },
        };
      case 4:
        return {
          adapter: 'education',
          path: '/initiative-milestones',
          body: {
            initiativeId: 'S2016-P1-03',
            status: 'started',
            recordedAt: minute,
            measure: { unit: 'sessions_delivered', quantity: i },
          },
        };
      case 5:
        return {
          adapter: 'coordination-office',
          path: '/initiative-milestones',
          body: { initiativeId: 'S2016-P4-06', status: i % 20 === 5 ? 'at_risk' : 'started', recordedAt: minute },
        };
      case 6:
        return {
          adapter: 'justice',
          path: '/referrals/batch',
          contentType: 'text/csv',
          body: `referral_number,program,person_id,receiving_service_type,support_needed,region,urgency,consent,referred_at\n${[0, 1, 2, 3].map((r) => `CS-${tag}-${r},court_support,JP-B-${tag}-${r},community_agency,counselling,west,routine,standard,${day}`).join('\n')}\n`,
        };
      case 7: {
        const ref = pick(this.refs['education-gap']);
        return ref
          ? {
              adapter: 'education',
              path: '/service-gaps/resolutions',
              body: { gapReference: ref, resolvedAt: minute, resolution: 'capacity_increased' },
            }
          : educationReferral();
      }
      default: {
        const ref = pick(this.refs['education-referral']);
        return ref
          ? {
              adapter: 'education',
              path: '/referrals/status-changes',
              body: { boardReferralId: ref, status: 'accepted', changedAt: minute },
            }
          : educationReferral();
      }
    }
  }

  private async send(submission: Submission): Promise<void> {
    const adapter = this.services.adapters[submission.adapter];
    let status = 0;
    let body: { events?: { eventId: string }[] } = {};
    try {
      const response = await fetch(`${adapter.process.url}${submission.path}`, {
        method: 'POST',
        headers: { 'content-type': submission.contentType ?? 'application/json', authorization: `Bearer ${adapter.token}` },
        body: typeof submission.body === 'string' ? submission.body : JSON.stringify(submission.body),
        signal: AbortSignal.timeout(20_000),
      });
      status = response.status;
      body = (await response.json().catch(() => ({}))) as typeof body;
    } catch {
      status = 0; // refused, reset or timed out: the adapter may or may not have committed it
    }
    if (status === 202) {
      for (const event of body.events ?? []) this.acknowledged.add(event.eventId);
      if (submission.creates) this.refs[submission.creates.kind].push(submission.creates.ref);
    } else if (status === 0 || status >= 500) {
      this.retries += 1;
      this.retryQueue.push({ submission, notBefore: Date.now() + 1_000 });
    } else {
      this.rejected.push(`${submission.adapter} ${submission.path}: ${status} ${JSON.stringify(body).slice(0, 300)}`);
    }
  }

  /** `count` justice referrals at once, outside the steady rate (to have rows in the outbox at the moment of a kill). */
  burst(count: number): void {
    for (let k = 0; k < count; k += 1) {
      const tag = `${this.tag}-burst${this.bursts}-${k}`;
      this.launch({
        adapter: 'justice',
        path: '/referrals',
        body: justiceReferralBody(tag, 'central', '2025-02-01T10:00:00Z'),
      });
    }
    this.bursts += 1;
  }

  private launch(submission: Submission): void {
    this.inFlight += 1;
    const promise = this.send(submission).finally(() => {
      this.inFlight -= 1;
      this.pending.delete(promise);
    });
    this.pending.add(promise);
  }

  private async run(): Promise<void> {
    const intervalMs = 1_000 / this.options.ratePerSecond;
    const concurrency = this.options.concurrency ?? 4;
    const began = Date.now();
    let tick = 0;
    while (this.sent < this.options.requests || this.retryQueue.length > 0 || this.pending.size > 0) {
      const due = began + tick * intervalMs;
      tick += 1;
      if (due > Date.now()) await sleep(due - Date.now());
      while (this.inFlight >= concurrency) await Promise.race(this.pending);
      const retry = this.retryQueue[0];
      if (retry && retry.notBefore <= Date.now()) {
        this.retryQueue.shift();
        this.launch(retry.submission);
      } else if (this.sent < this.options.requests) {
        this.launch(this.submission(this.sent));
        this.sent += 1;
      } else if (this.pending.size > 0 || this.retryQueue.length > 0) {
        await sleep(100);
      }
    }
  }
}

/**
 * Measures recovery: from the end of a fault until every event accepted before that moment is
 * in the view. Starts polling at once; `seconds()` resolves when it is done.
 */
export class RecoveryClock {
  private readonly result: Promise<number>;

  private constructor(services: FaultServices, ids: readonly string[], endedAt: number) {
    this.result = waitFor(
      `the ${ids.length} events accepted before the fault's end to be applied`,
      async () => (await services.appliedCount(ids)) >= ids.length,
      600_000,
      200,
    ).then(() => (Date.now() - endedAt) / 1000);
    this.result.catch(() => undefined);
  }

  static async start(services: FaultServices, endedAt = Date.now()): Promise<RecoveryClock> {
    return new RecoveryClock(services, [...(await services.outboxEventIds())], endedAt);
  }

  /** The recovery time, or NaN when it had not recovered within `graceMs` of being asked. */
  seconds(graceMs = 30_000): Promise<number> {
    return Promise.race([this.result.catch(() => Number.NaN), sleep(graceMs).then(() => Number.NaN)]);
  }
}

export interface Reconciliation extends FaultRow {
  /** 202 eventIds missing from the outboxes (an answer given for something not durable). */
  readonly acknowledgedNotDurable: number;
  readonly deadLetters: number;
  readonly duplicateDetail: Record<string, number>;
  readonly rejected: readonly string[];
  /** Referrals whose creation came sealed (encryption on), and those of them the view holds without their opened pseudonym. */
  readonly sealed: { readonly referrals: number; readonly unopened: number };
}

/** Waits until nothing is in flight: load done, outboxes empty, consumer lag 0, every accepted event applied (or no progress for a while). */
export async function waitQuiescent(services: FaultServices, log: (message: string) => void, timeoutMs = 180_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = -1;
  let stableSince = Date.now();
  let lastLog = 0;
  while (Date.now() < deadline) {
    const accepted = [...(await services.outboxEventIds())];
    const applied = await services.appliedCount(accepted).catch(() => 0);
    const unpublished = await services.unpublished();
    const lag = await services.consumerLag().catch(() => -1);
    if (Date.now() - lastLog > 10_000) {
      lastLog = Date.now();
      log(`waiting for quiescence: accepted ${accepted.length}, unpublished ${unpublished}, lag ${lag}, applied ${applied}`);
    }
    if (unpublished === 0 && lag === 0 && applied === accepted.length) return;
    if (applied !== last) {
      last = applied;
      stableSince = Date.now();
    } else if (unpublished === 0 && lag === 0 && Date.now() - stableSince > 15_000) {
      return; // nothing left to deliver and nothing moving: reconcile and report what is missing
    }
    await sleep(500);
  }
}

/** Compares outboxes, Kafka and the view by eventId. */
export async function reconcile(
  services: FaultServices,
  load: LoadGenerator,
  scenario: string,
  fault: string,
  recoverySeconds: number,
): Promise<Reconciliation> {
  const { db, stack } = services;
  const outbox = await services.outboxEventIds();
  const acknowledgedNotDurable = [...load.acknowledged].filter((id) => !outbox.has(id)).length;
  const accepted = new Set([...outbox, ...load.acknowledged]);

  // Kafka: every copy of every accepted event on the ministry topics, decoded with the contracts serde.
  const kafka = createKafka(kafkaOptionsFor(stack, 'admin', 'fault-suite-reader'));
  const serde = new EventSerde(new RegistryClient({ url: stack.registryUrl }));
  const copies = new Map<string, number>();
  for (const { name } of allMinistryTopics()) {
    for (const message of await readTopic(kafka, name, { timeoutMs: 60_000, groupPrefix: 'fault-suite-reader' })) {
      if (!message.value) continue;
      const decoded = await serde.decode(message.value);
      const eventId = decoded.payload.envelope.eventId;
      if (accepted.has(eventId)) copies.set(eventId, (copies.get(eventId) ?? 0) + 1);
    }
  }
  const published = copies.size;
  const republishedCopies = [...copies.values()].reduce((sum, n) => sum + n - 1, 0);

  // The view: processed eventIds, and the table each event's effect landed in.
  const processed = new Set((await db(`view.${VIEW_TABLE.processed_events}`).pluck('event_id')) as string[]);
  const inTables = new Map<string, number>();
  for (const table of [VIEW_TABLE.referral_history, VIEW_TABLE.initiative_milestones, VIEW_TABLE.service_gap_events]) {
    for (const id of (await db(`view.${table}`).pluck('event_id')) as string[]) inTables.set(id, (inTables.get(id) ?? 0) + 1);
  }
  const applied = [...accepted].filter((id) => processed.has(id) && inTables.has(id)).length;
  const lost = accepted.size - applied;

  // Duplicates: an effect recorded twice, or aggregates that disagree with the distinct events under them.
  const inSeveralTables = [...inTables.values()].filter((n) => n > 1).length;
  const referralMismatch = Number(
    (
      await db.raw<{ rows: { n: string }[] }>(
        `SELECT count(*) AS n FROM view.${VIEW_TABLE.referrals} r WHERE applied_events + illegal_transitions <> (SELECT count(*) FROM view.${VIEW_TABLE.referral_history} h WHERE h.referral_id = r.referral_id)`,
      )
    ).rows[0]?.n ?? 0,
  );
  // Every referral created is one row of view.referrals, however often its creation was delivered.
  const createdReferrals = Number(
    (
      await db.raw<{ rows: { n: string }[] }>(
        `SELECT count(DISTINCT referral_id) AS n FROM view.${VIEW_TABLE.referral_history} WHERE event_type = 'ReferralCreated'`,
      )
    ).rows[0]?.n ?? 0,
  );
  const referralRows = Number(
    (await db.raw<{ rows: { n: string }[] }>(`SELECT count(*) AS n FROM view.${VIEW_TABLE.referrals}`)).rows[0]?.n ?? 0,
  );
  const milestoneMismatch = Number(
    (
      await db.raw<{ rows: { n: string }[] }>(
        `SELECT count(*) AS n FROM view.${VIEW_TABLE.initiatives} i WHERE i.milestones <> (SELECT count(*) FROM view.${VIEW_TABLE.initiative_milestones} m WHERE m.initiative_id = i.initiative_id)`,
      )
    ).rows[0]?.n ?? 0,
  );
  const duplicateDetail = {
    inSeveralTables,
    referralMismatch,
    referralRowsOver: Math.abs(referralRows - createdReferrals),
    milestoneMismatch,
  };
  const duplicated = Object.values(duplicateDetail).reduce((sum, n) => sum + n, 0);
  const deadLetters = Number((await db(`view.${VIEW_TABLE.dead_letters}`).count({ n: '*' }))[0]?.['n'] ?? 0);
  // Encryption on: each sealed creation was opened by the projector (which keeps the subject sealed at
  // rest only when its key opened it) and no placeholder or plaintext pseudonym took its place.
  const sealedRows = (
    await db.raw<{ rows: { referrals: string; unopened: string }[] }>(
      `SELECT count(*) AS referrals, count(*) FILTER (WHERE r.subject_sealed IS NULL OR r.subject_pseudonym IS NOT NULL) AS unopened
         FROM view.${VIEW_TABLE.referrals} r JOIN view.${VIEW_TABLE.referral_history} h ON h.event_id = r.created_event_id
        WHERE jsonb_typeof(h.payload->'sealedSubject') = 'object' AND r.consent_withdrawn_at IS NULL`,
    )
  ).rows[0];
  const sealed = { referrals: Number(sealedRows?.referrals ?? 0), unopened: Number(sealedRows?.unopened ?? 0) };

  return {
    scenario,
    accepted: accepted.size,
    published,
    republishedCopies,
    applied,
    lost,
    duplicated,
    recoverySeconds,
    fault,
    acknowledgedNotDurable,
    deadLetters,
    duplicateDetail,
    rejected: load.rejected,
    sealed,
  };
}
