import { loadConfig } from '@passerelle/projector';
import type { Results } from './bench.ts';
import { formatCpu } from './cpu.ts';
import { KEY_ENCRYPTION_KEY, projectorTuningEnv, RECORD_KEY_SECRET } from './services.ts';
import type { Spread } from './stats.ts';
import { formatSpread } from './stats.ts';

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const ev = (s: Spread | undefined) => (s ? `${formatSpread(s)} ev/s` : 'n/a');
const ms = (s: Spread | undefined) => (s ? `${formatSpread(s, 1)} ms` : 'n/a');

/** The Markdown table of one run: machine, settings, every measurement (median and min–max), targets. */
export function toMarkdown(results: Results): string {
  const r = results as Any;
  const lines: string[] = [];
  const m = r.machine;
  const v = r.versions;
  const s = r.settings;
  const projector = loadConfig({
    ...projectorTuningEnv(),
    PASSERELLE_RECORD_KEY_SECRET: RECORD_KEY_SECRET,
    PASSERELLE_KEY_ENCRYPTION_KEY: KEY_ENCRYPTION_KEY,
  });
  lines.push(
    `Run ${r.startedAt}${s.quick ? ' (--quick)' : ''}: ${m.cores} cores (${m.cpu}), ${m.memoryGb} GB; load average ${m.loadAverageAtStart.join(' ')} at start, ${m.loadAverageAtEnd?.join(' ') ?? '?'} at end.`,
  );
  lines.push(`Node ${v.node}, Kafka ${v.kafka}, PostgreSQL ${v.postgres}, kafkajs ${v.kafkajs}, Apicurio ${v.apicurio}.`);
  lines.push(
    `Settings: ${s.repeats} run(s) each; ${s.partitions} partitions per topic; produce batches ${s.produceBatch}; relay batch ${s.relayBatch}; projector chunk ${projector.chunkSize}, ${projector.partitionsConsumedConcurrently} partitions concurrently; ` +
      `L_kafka ${s.kafkaEvents} events, L_pg ${s.pgEvents}, outbox ${s.e2eEvents}, HTTP ${s.httpSeconds} s × ${s.httpConcurrency} clients, rebuild ${s.rebuildEvents} (${s.repeats} runs) and ${s.rebuildMemoryEvents} (once), latency ${s.latencySeconds} s at fixed rates, API ${s.apiRate} req/s for ${s.apiSeconds} s.`,
  );
  const steps = (m.loadAverageByStep ?? []) as { step: string; loadAverage: number[] }[];
  if (steps.length)
    lines.push(
      `Load average (1 min) at the start of each part: ${steps.map((x) => `${x.step.split(':')[0]} ${x.loadAverage[0]}`).join('; ')}.`,
    );
  lines.push('');
  lines.push('| measurement | median (min–max) |');
  lines.push('|---|---|');
  const row = (name: string, value: string) => lines.push(`| ${name} | ${value} |`);
  const l = r.limits ?? {};
  if (l.kafka) {
    row('L_kafka produce (raw kafkajs, acks=all, same Avro payloads)', ev(l.kafka.produce));
    row('L_kafka consume (no-op eachBatch)', ev(l.kafka.consume));
  }
  if (l.perfTest)
    row(
      `L_kafka produce, the broker's own client (kafka-producer-perf-test, ${l.perfTest.records} records of ${l.perfTest.recordSize} bytes, acks=all)`,
      ev(l.perfTest.produce),
    );
  if (l.pg)
    row(`L_pg batched upserts into the view tables (record sets, ${l.pg.chunk}/transaction, ${l.pg.writers} writers)`, ev(l.pg.upsert));
  if (l.pgCopy) row(`L_pg binary COPY of the same events' rows into the view tables (${l.pgCopy.rows} rows)`, ev(l.pgCopy.copy));
  if (l.latency)
    row(`L_lat produce→consume, single sends at ${l.latency.rate}/s: p50 / p99`, `${ms(l.latency.p50)} / ${ms(l.latency.p99)}`);
  if (r.sustained) {
    row('sustained outbox → view, outbox written concurrently (relay and projector processes, tracing off)', ev(r.sustained.outbox));
    if (r.sustained.written)
      row(`  outbox writers' rate meanwhile (4 writers, 50 rows per transaction)`, `${formatSpread(r.sustained.written)} rows/s`);
    row('  of which relay publish rate (outbox → Kafka)', ev(r.sustained.relay));
    const cpu = r.sustained.runs.at(-1)?.cpuPerThousand;
    if (cpu) row('  CPU ms per 1,000 events by part (last run; other = the rest of the machine)', formatCpu(cpu));
    row(
      '  backlog (published − visible) at 25/50/75 % of each run',
      r.sustained.runs.map((x: Any) => `${x.lag.q1}/${x.lag.mid}/${x.lag.q3}${x.lag.flat ? ' flat' : ' growing'}`).join('; '),
    );
  }
  const rps = (x: Spread | undefined) => (x ? `${formatSpread(x)} req/s` : 'n/a');
  if (r.http?.limit)
    row(`L_http: bare express + one INSERT per request (${r.http.limit.clients} clients), accepted`, rps(r.http.limit.acceptedPerSecond));
  if (r.http) {
    row(`adapter HTTP (${s.httpConcurrency} clients): accepted (202)`, rps(r.http.accepted));
    row('  visible in the view', ev(r.http.visible));
    row('  time to the 202 under that load: p99', ms(r.http.acceptanceP99));
  }
  const a = r.http?.acceptance;
  if (a)
    row(
      `acceptance at ${a.rate} req/s, open loop from the scheduled send: p50 / p99 / p99.9 (${a.unseen} of ${a.sent} not answered 202 within 30 s)`,
      `${ms(a.p50)} / ${ms(a.p99)} / ${ms(a.p999)}`,
    );
  const p = r.latency?.at25;
  if (p) {
    row(
      `publish→visible from the HTTP request at 25 % load (${p.rate} req/s, 25 % of ${r.latency.basis}), from the scheduled send: p50 / p99 / p99.9 (${p.unseen} of ${p.sent} not seen within ${p.deadlineMs / 1000} s)`,
      `${ms(p.p50)} / ${ms(p.p99)} / ${ms(p.p999)}`,
    );
    row('  from the 202 to the view: p99', ms(p.fromAnswerP99));
  }
  const raw = r.latency?.rawAt25;
  if (raw)
    row(
      `  raw Kafka produce→consume at the same rate (${raw.rate}/s, ${raw.batchMs ? `a batch every ${raw.batchMs} ms` : 'a send per message'}): p50 / p99`,
      `${ms(raw.p50)} / ${ms(raw.p99)}`,
    );
  if (r.rebuild) {
    row(
      `rebuild of ${r.rebuild.events} events (npm run projector -- rebuild)`,
      `${formatSpread(r.rebuild.seconds, 1)} s = ${ev(r.rebuild.eventsPerSecond)}`,
    );
    row('  peak resident memory of the rebuild', `${formatSpread(r.rebuild.peakRssMiB)} MiB`);
    row(
      `COPY of the rebuilt rows (${r.rebuild.rows} rows) out / into empty copies`,
      r.rebuild.copyError
        ? `failed: ${r.rebuild.copyError}`
        : `${r.rebuild.copyOutSeconds.toFixed(1)} s / ${r.rebuild.copyInSeconds.toFixed(1)} s (rebuild = ${r.rebuild.ratioToCopyIn.toFixed(1)} × COPY in)`,
    );
  }
  if (r.rebuildLarger)
    row(
      `rebuild of ${r.rebuildLarger.events} events (once): duration / peak resident memory`,
      `${formatSpread(r.rebuildLarger.seconds, 1)} s / ${formatSpread(r.rebuildLarger.peakRssMiB)} MiB`,
    );
  const byQuery = (x: Any) =>
    Object.entries((x.p99ByQuery ?? {}) as Record<string, Spread>)
      .map(([query, p99]) => `${query.split('?')[0]} ${ms(p99)}`)
      .join(', ');
  if (r.api?.limit)
    row(
      `L_api view-api, dashboard queries at ${r.api.limit.rate} req/s, no ingest: p50 / p99`,
      `${ms(r.api.limit.p50)} / ${ms(r.api.limit.p99)}`,
    );
  if (r.api?.limit?.p99ByQuery) row('  p99 by query', byQuery(r.api.limit));
  if (r.api?.underIngest)
    row(
      `view-api under ingest at ${r.api.underIngest.ingestRate} ev/s: p50 / p99`,
      `${ms(r.api.underIngest.p50)} / ${ms(r.api.underIngest.p99)}`,
    );
  if (r.api?.underIngest?.p99ByQuery) row('  p99 by query', byQuery(r.api.underIngest));
  if (r.api?.afterIngest)
    row(
      'view-api with no ingest again, on the view the ingest grew: p50 / p99',
      `${ms(r.api.afterIngest.p50)} / ${ms(r.api.afterIngest.p99)}`,
    );
  if (r.api?.afterIngest?.p99ByQuery) row('  p99 by query', byQuery(r.api.afterIngest));
  if (r.tracing?.sampled)
    row(
      `sustained outbox → view, tracing on, ${Math.round(r.tracing.ratio * 100)} % of traces sampled (production default, Zipkin)`,
      ev(r.tracing.sampled),
    );
  if (r.tracing?.everything) row('sustained outbox → view, tracing on, every trace sampled (Zipkin)', ev(r.tracing.everything));
  if (r.tracing?.cpu?.everything) row('  CPU ms per 1,000 events, every trace sampled', formatCpu(r.tracing.cpu.everything));
  if (r.connect) {
    row(
      `Kafka Connect peer: Debezium JDBC sink, ${r.connect.events} pre-produced events (${r.connect.sink})`,
      ev(r.connect.eventsPerSecond),
    );
    row('  projector on the same events (order alternated with the peer)', ev(r.connect.projectorEventsPerSecond));
  }
  lines.push('');
  if (r.targets.length) {
    lines.push('Targets: met only when every run clears the threshold (min–max of the runs against the strictest end of the threshold).');
    lines.push('');
    lines.push('| target | threshold | measured, median (min–max) | measured ÷ threshold (medians) | met |');
    lines.push('|---|---|---|---|---|');
    for (const t of r.targets)
      lines.push(
        `| ${t.name} | ${t.target} | ${t.measured} | ${Number.isFinite(t.ratio) ? t.ratio.toFixed(2) : t.ratio === Number.POSITIVE_INFINITY ? '∞' : 'n/a'} | ${t.met === null ? 'n/a' : t.met ? 'yes' : '**no**'} |`,
      );
    lines.push('');
  }
  const failures = Object.entries(r.failures as Record<string, string>);
  if (failures.length) {
    lines.push('Failed steps:');
    for (const [name, message] of failures) lines.push(`- ${name}: ${message.split('\n')[0]}`);
    lines.push('');
  }
  for (const note of r.notes) lines.push(`- ${note}`);
  return `${lines.join('\n')}\n`;
}
