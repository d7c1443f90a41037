/**
 * Operator commands of the projector:
 *
 *   npm run projector -- status [--json]
 *   npm run projector -- dead-letters list [--limit N] [--json]
 *   npm run projector -- dead-letters redrive <topic:partition:offset>…
 *   npm run projector -- rebuild [--expect-identical] [--keep-previous] [--json]
 *   npm run projector -- rekey --confirm
 *   npm run projector -- erasure verify <referralId> [--json]
 *   npm run projector -- topics seal [--confirm] [--json]
 *
 * Configuration comes from the same variables as the service; `npm run projector` fills them from
 * the local stack's data folder (scripts/projector-cli.ts). Output never shows payloads: dead
 * letters are listed from their headers only. `redrive`, `erasure verify` and `topics seal` need
 * the admin principal (they write to ministry topics or read every topic); the others the projector's.
 */
import { pathToFileURL } from 'node:url';
import { ConfigError, type EnvSource } from '@passerelle/config';
import { createDatabase } from '@passerelle/db';
import {
  consumerGroupLag,
  createIdempotentProducer,
  createKafka,
  kafkaAccessOf,
  parseMessagePosition,
  readDeadLetter,
  readTopic,
  toRedrive,
} from '@passerelle/kafka';
import { createLogger } from '@passerelle/logging';
import { loadConfig, type ProjectorConfig } from '../config.ts';
import { rekeyView } from '../projector.ts';
import { REKEY_WARNING } from '../domain/record-key.ts';
import { MIGRATIONS_TABLE } from '@passerelle/coordination-view';
import { listViewSchemas } from '../data-access/view-schemas.repository.ts';
import { readViewStatus } from '../data-access/view-snapshot.repository.ts';
import { parseReferralId } from '../domain/erasure-findings.ts';
import { verifyErasure } from './erasure-verify.ts';
import { sealTopics } from './topics-seal.ts';
import { RebuildVerificationError, runRebuild } from './rebuild.ts';
import { hasRebuildFlags, rerunWithRebuildFlags } from './rebuild-runtime.ts';
import { kafkaAccessHint } from './cli-kafka-access.ts';
import { startLagExporter } from './lag-exporter.ts';

export interface CliOutput {
  out(line: string): void;
  err(line: string): void;
}

const USAGE = `usage: projector <command>
  status [--json]                                   view tables, pending referrals, illegal transitions, dead letters, lag
  lag serve [--port N]                              serve the group's lag on /metrics for Prometheus (default port 8111), until stopped
  dead-letters list [--limit N] [--json]            the dead-letter topic, newest last (headers only, never payloads)
  dead-letters redrive <topic:partition:offset>...  republish dead letters' original bytes to their original topics
  rebuild [--expect-identical] [--keep-previous] [--json]
                                                    replay every topic from offset 0 into a fresh schema, verify, switch;
                                                    the previous view is dropped unless --keep-previous
  rekey --confirm                                   recompute every record key with PASSERELLE_RECORD_KEY_SECRET (rotates it: see the warning)
  erasure verify <referralId> [--json]              where anything of the referral's subject can still be read (view schemas,
                                                    outboxes, dead letters, topics, key store); exit 1 if anything can
  topics seal [--confirm] [--json]                  survey, then with --confirm seal, the referrals published with their subject in
                                                    plaintext on every topic read and the dead-letter topic (copied sealed, old records deleted)`;

function flag(args: string[], name: string): boolean {
  const index = args.indexOf(name);
  if (index < 0) return false;
  args.splice(index, 1);
  return true;
}

function option(args: string[], name: string): string | undefined {
  const index = args.indexOf(name);
  if (index < 0) return undefined;
  const [, value] = args.splice(index, 2);
  return value;
}

const silentLogger = () => createLogger({ service: 'projector-cli', level: 'warn', destination: { write: () => true } as never });

async function status(config: ProjectorConfig, json: boolean, io: CliOutput): Promise<number> {
  // The migrator: status reads the migrations table, which only the migrator may read.
  const db = createDatabase({ url: config.migrationDatabaseUrl ?? config.databaseUrl, applicationName: 'passerelle-projector-cli' });
  const kafka = createKafka({ clientId: 'passerelle-projector-cli', ...kafkaAccessOf(config), retries: 2 });
  const admin = kafka.admin();
  try {
    const schemas = await listViewSchemas(db, config.viewSchema);
    const view = schemas.live ? await readViewStatus(db, config.viewSchema, MIGRATIONS_TABLE) : undefined;
    await admin.connect();
    const topics = (await admin.listTopics()).filter((topic) => config.topicPattern.test(topic)).sort();
    const lag = await consumerGroupLag(admin, config.consumerGroup, topics);
    const result = {
      schema: config.viewSchema,
      consumerGroup: config.consumerGroup,
      schemas,
      view,
      topics,
      lag,
      totalLag: lag.reduce((sum, p) => sum + p.lag, 0),
    };
    if (json) {
      io.out(JSON.stringify(result));
      return 0;
    }
    io.out(`view schema ${config.viewSchema}: ${schemas.live ? 'present' : 'missing (the projector creates it at start)'}`);
    if (view) {
      io.out(`  migrations: ${view.migrations.join(', ')}`);
      for (const [table, count] of Object.entries(view.tables)) io.out(`  ${table.padEnd(22)} ${count}`);
      io.out(`  referrals by status: ${JSON.stringify(view.referralsByStatus)}`);
      io.out(`  referrals waiting for their creation: ${view.pendingReferrals}`);
      io.out(`  illegal transitions: ${JSON.stringify(view.illegalTransitionsByReason)}`);
      io.out(`  dead letters: ${JSON.stringify(view.deadLettersByReason)}`);
    }
    if (schemas.rebuilding.length) io.out(`rebuild schemas (in progress or abandoned): ${schemas.rebuilding.join(', ')}`);
    if (schemas.retired.length) io.out(`retired views: ${schemas.retired.join(', ')}`);
    io.out(`consumer group ${config.consumerGroup}: ${topics.length} topics, lag ${result.totalLag}`);
    for (const p of lag.filter((entry) => entry.lag > 0))
      io.out(`  ${p.topic}:${p.partition} committed ${p.committed} of ${p.high} (lag ${p.lag})`);
    return 0;
  } finally {
    await admin.disconnect().catch(() => undefined);
    await db.destroy();
  }
}

async function listDeadLetters(config: ProjectorConfig, limit: number, json: boolean, io: CliOutput): Promise<number> {
  const kafka = createKafka({ clientId: 'passerelle-projector-cli', ...kafkaAccessOf(config), retries: 2 });
  const messages = await readTopic(kafka, config.deadLetterTopic, { groupPrefix: 'passerelle-projector-cli' });
  const letters = messages
    .map((message) => ({
      ...readDeadLetter(message.topic, message.partition, message.offset, message.headers),
      timestamp: Number(message.timestamp),
    }))
    .sort((a, b) => a.timestamp - b.timestamp)
    .slice(-limit);
  if (json) {
    io.out(JSON.stringify(letters));
    return 0;
  }
  io.out(
    `${letters.length} dead letter(s) in ${config.deadLetterTopic}${messages.length > letters.length ? ` (last ${limit} of ${messages.length})` : ''}`,
  );
  for (const letter of letters) {
    io.out(
      `${letter.id}  ${new Date(letter.timestamp).toISOString()}  ${letter.reasonCode.padEnd(20)} from ${letter.sourceTopic}:${letter.sourcePartition}:${letter.sourceOffset}` +
        `${letter.eventType ? `  ${letter.eventType} ${letter.eventId ?? ''}` : ''}${letter.redrivenFrom ? `  (redriven from ${letter.redrivenFrom})` : ''}\n    ${letter.reason}`,
    );
  }
  return 0;
}

async function redrive(config: ProjectorConfig, ids: string[], io: CliOutput): Promise<number> {
  if (ids.length === 0) {
    io.err('dead-letters redrive: name at least one dead letter as <topic>:<partition>:<offset> (see `dead-letters list`)');
    return 2;
  }
  const wanted = ids.map(parseMessagePosition);
  const foreign = wanted.filter((position) => position.topic !== config.deadLetterTopic);
  if (foreign.length > 0) {
    io.err(`only dead letters of ${config.deadLetterTopic} can be redriven, not ${foreign.map((p) => p.topic).join(', ')}`);
    return 2;
  }
  const kafka = createKafka({ clientId: 'passerelle-projector-cli', ...kafkaAccessOf(config), retries: 2 });
  const messages = await readTopic(kafka, config.deadLetterTopic, { groupPrefix: 'passerelle-projector-cli' });
  const found = wanted.map((position) => ({
    position,
    message: messages.find((m) => m.partition === position.partition && m.offset === position.offset),
  }));
  const missing = found.filter((entry) => !entry.message);
  if (missing.length > 0) {
    io.err(
      `not in ${config.deadLetterTopic}: ${missing.map((entry) => `${entry.position.topic}:${entry.position.partition}:${entry.position.offset}`).join(', ')}`,
    );
    return 1;
  }
  const producer = createIdempotentProducer(kafka);
  await producer.connect();
  try {
    for (const { message } of found) {
      if (!message) continue;
      const { topic, message: republished } = toRedrive(message);
      const [meta] = await producer.send({ topic, acks: -1, messages: [republished] });
      io.out(`redriven ${message.topic}:${message.partition}:${message.offset} → ${topic}:${meta?.partition}:${meta?.baseOffset}`);
    }
  } finally {
    await producer.disconnect();
  }
  return 0;
}

async function rebuild(
  config: ProjectorConfig,
  expectIdentical: boolean,
  keepPrevious: boolean,
  json: boolean,
  io: CliOutput,
): Promise<number> {
  try {
    const report = await runRebuild(config, {
      expectIdentical,
      keepPrevious,
      logger: silentLogger(),
      onProgress: (p) => {
        if (json) io.out(JSON.stringify({ progress: p }));
        else {
          const rows = p.rowsTotal ? `, ${p.rowsWritten} / ${p.rowsTotal} rows written` : '';
          io.out(
            `rebuild ${p.phase}: ${p.events} events, ${p.eventsPerSecond} events/s, lag ${p.lag}${rows}, ${(p.elapsedMs / 1000).toFixed(1)} s, ${Math.round(p.rssBytes / 2 ** 20)} MiB resident`,
          );
        }
      },
    });
    if (json) io.out(JSON.stringify({ report }));
    else {
      io.out(
        `rebuilt ${report.events} events in ${(report.durationMs / 1000).toFixed(1)} s (${report.eventsPerSecond} events/s); switched ${report.rebuiltSchema} → ${report.liveSchema}`,
      );
      if (report.abandonedDropped.length > 0) io.out(`dropped the schemas of earlier rebuilds: ${report.abandonedDropped.join(', ')}`);
      io.out(
        report.retiredSchema
          ? `previous view kept as ${report.retiredSchema} (--keep-previous: drop it when no longer needed)`
          : report.previousDropped
            ? 'previous view dropped'
            : 'there was no previous view',
      );
      for (const d of report.check.differences)
        io.out(`  ${d.table.padEnd(22)} live ${d.rowsA}  rebuilt ${d.rowsB}  only live ${d.onlyInA}  only rebuilt ${d.onlyInB}`);
      io.out(
        report.identical
          ? 'the rebuilt view is identical to the previous one'
          : 'the rebuilt view differs from the previous one (see above)',
      );
    }
    return 0;
  } catch (error) {
    if (error instanceof RebuildVerificationError) {
      io.err(error.message);
      io.err(
        keepPrevious
          ? `the rebuilt schema ${error.report.rebuiltSchema} was kept for inspection (the next rebuild drops it)`
          : `the rebuilt schema was dropped (--keep-previous keeps it for inspection)`,
      );
      if (json) io.out(JSON.stringify({ report: error.report }));
      return 3;
    }
    throw error;
  }
}

async function rekey(config: ProjectorConfig, confirmed: boolean, io: CliOutput): Promise<number> {
  if (!confirmed) {
    io.err(
      `rekey recomputes every record key of the view "${config.viewSchema}" with PASSERELLE_RECORD_KEY_SECRET and makes it the view's secret. ${REKEY_WARNING} ` +
        'Rotate only on purpose (a secret that leaked): stop every projector of this view, run `npm run projector -- rekey --confirm` with the new secret, then start them with it.',
    );
    return 2;
  }
  // The migrator: rekeying migrates and may set the record-key column NOT NULL.
  const db = createDatabase({
    url: config.migrationDatabaseUrl ?? config.databaseUrl,
    schema: config.viewSchema,
    applicationName: 'passerelle-projector-cli',
  });
  try {
    const report = await rekeyView(db, config.viewSchema, config.recordKeySecret);
    if (report.previous === report.current)
      io.out(
        `the view "${config.viewSchema}" is already keyed with this secret (fingerprint ${report.current}); keys computed for ${report.keyed} referral(s) without one`,
      );
    else
      io.out(
        `rekeyed ${report.keyed} referral(s) of the view "${config.viewSchema}": record-key fingerprint ${report.previous ?? '(none)'} → ${report.current}; start the projectors with this secret`,
      );
    return 0;
  } finally {
    await db.destroy();
  }
}

async function erasureVerify(config: ProjectorConfig, referralId: string, json: boolean, io: CliOutput): Promise<number> {
  const report = await verifyErasure(config, referralId, { onProgress: json ? undefined : (line) => io.out(line) });
  if (json) {
    io.out(JSON.stringify(report));
    return report.findings.length > 0 ? 1 : 0;
  }
  io.out(`data key of referral ${referralId}: ${report.key}`);
  for (const receipt of report.receipts) {
    io.out(
      `erasure receipt: withdrawal ${receipt.withdrawal_event_id} at ${new Date(receipt.withdrawn_at).toISOString()}, purged ${new Date(receipt.purged_at).toISOString()} in ${receipt.view_schema} by the ${receipt.recorded_by}: ` +
        `${receipt.view_referral_rows} referral row(s), ${receipt.history_rows} history row(s), data key ${receipt.data_key}`,
    );
  }
  if (report.receipts.length === 0) io.out('no erasure receipt for this referral');
  if (report.findings.length === 0) {
    io.out(`nothing of the subject of referral ${referralId} can be read in the ${report.scanned.length} places scanned`);
    return 0;
  }
  io.out(`the subject of referral ${referralId} can still be read in ${report.findings.length} place(s):`);
  for (const finding of report.findings) io.out(`  ${finding.place}: ${finding.count} × ${finding.why}`);
  return 1;
}

async function topicsSeal(config: ProjectorConfig, confirm: boolean, json: boolean, io: CliOutput): Promise<number> {
  const reports = await sealTopics(config, { confirm, progress: json ? undefined : (line) => io.out(line) });
  if (json) {
    io.out(JSON.stringify({ confirmed: confirm, topics: reports }));
    return 0;
  }
  const legacy = reports.reduce((sum, r) => sum + r.legacyCreations, 0);
  for (const r of reports.filter((r) => r.legacyCreations > 0 || r.copied > 0)) {
    io.out(
      `${r.topic}: ${r.records} records, ${r.legacyCreations} referral(s) with a plaintext subject${confirm ? `, ${r.copied} records appended again, ${r.deleted.length} partition prefix(es) deleted` : ''}`,
    );
  }
  if (legacy === 0) io.out(`no plaintext subject on the ${reports.length} topics scanned`);
  else if (!confirm)
    io.out(
      `${legacy} referral(s) to seal: run again with --confirm (as the admin principal: it writes to ministry topics and deletes records)`,
    );
  else io.out(`sealed ${legacy} referral(s) on ${reports.filter((r) => r.deleted.length > 0).length} topic(s)`);
  return 0;
}

/** Serves the consumer group's lag until SIGINT or SIGTERM (lag-exporter.ts). */
async function serveLag(config: ProjectorConfig, port: number, io: CliOutput): Promise<number> {
  const kafka = createKafka({ clientId: 'passerelle-projector-lag', ...kafkaAccessOf(config), retries: 2 });
  const exporter = await startLagExporter({
    admin: kafka.admin(),
    groupId: config.consumerGroup,
    topicPattern: config.topicPattern,
    host: '127.0.0.1',
    port,
  });
  io.out(`lag of consumer group ${config.consumerGroup} on ${exporter.url}`);
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  await exporter.close();
  io.out(`lag exporter stopped (${signal})`);
  return 0;
}

/** Runs one command; returns the exit code. */
export async function runCli(argv: readonly string[], env: EnvSource, io: CliOutput): Promise<number> {
  const args = [...argv];
  const json = flag(args, '--json');
  let config: ProjectorConfig;
  try {
    config = loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) {
      io.err(error.message);
      return 2;
    }
    throw error;
  }
  try {
    return await runCommand(args, config, json, io);
  } catch (error) {
    // A broker that drops a client without TLS or credentials says only "Closed connection": name what is unset.
    const hint = kafkaAccessHint(config, error);
    if (hint === undefined) throw error;
    io.err(`projector: ${hint}`);
    return 2;
  }
}

async function runCommand(args: string[], config: ProjectorConfig, json: boolean, io: CliOutput): Promise<number> {
  const [command, sub, ...rest] = args;
  if (command === 'status') return status(config, json, io);
  if (command === 'lag') {
    const options = sub === undefined ? [] : [...rest];
    const given = option(options, '--port') ?? '8111';
    const port = Number(given);
    if (sub !== 'serve' || options.length > 0 || !Number.isInteger(port) || port < 0 || port > 65535) {
      io.err('usage: projector lag serve [--port N] (N: 0 to 65535; 0 picks a free port)');
      return 2;
    }
    return serveLag(config, port, io);
  }
  if (command === 'dead-letters' && sub === 'list') {
    const limit = Number(option(rest, '--limit') ?? 50);
    if (!Number.isInteger(limit) || limit < 1) {
      io.err('--limit must be a positive whole number');
      return 2;
    }
    return listDeadLetters(config, limit, json, io);
  }
  if (command === 'dead-letters' && sub === 'redrive') return redrive(config, rest, io);
  if (command === 'rebuild') {
    const args = sub === undefined ? [] : [sub, ...rest];
    return rebuild(config, flag(args, '--expect-identical'), flag(args, '--keep-previous'), json, io);
  }
  if (command === 'erasure') {
    if (sub !== 'verify') {
      io.err('usage: projector erasure verify <referralId> [--json]');
      return 2;
    }
    const [given, ...extra] = rest;
    const referralId = parseReferralId(given);
    if (given === undefined || extra.length > 0 || !referralId) {
      io.err(
        given === undefined
          ? 'erasure verify: name the referral, as its id (a UUID such as 3f2b8c1e-5d4a-4b6e-9c7d-1a2b3c4d5e6f)'
          : `erasure verify: ${JSON.stringify([given, ...extra].join(' ').slice(0, 80))} is not a referral id: expected one UUID (8-4-4-4-12 hexadecimal digits)`,
      );
      return 2;
    }
    return erasureVerify(config, referralId, json, io);
  }
  if (command === 'topics') {
    const options = sub === undefined ? [] : [...rest];
    const confirm = flag(options, '--confirm');
    if (sub !== 'seal' || options.length > 0) {
      io.err('usage: projector topics seal [--confirm] [--json]');
      return 2;
    }
    return topicsSeal(config, confirm, json, io);
  }
  if (command === 'rekey') return rekey(config, flag(sub === undefined ? [] : [sub, ...rest], '--confirm'), io);
  io.err(USAGE);
  return command === 'help' || command === undefined ? 0 : 2;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  // A rebuild folds the view in memory: it runs in a child started with the V8 flags that suits (rebuild-runtime.ts).
  const run =
    process.argv[2] === 'rebuild' && !hasRebuildFlags()
      ? rerunWithRebuildFlags()
      : runCli(process.argv.slice(2), process.env, { out: (line) => console.log(line), err: (line) => console.error(line) });
  run.then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(`projector: ${(error as Error).message}`);
      process.exit(1);
    },
  );
}
