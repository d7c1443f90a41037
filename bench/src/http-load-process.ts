/**
 * The HTTP load in a process of its own, so the bench's own work cannot slow it down: a closed
 * loop of BENCH_HTTP_CLIENTS clients for BENCH_HTTP_SECONDS, or (BENCH_HTTP_RATE set) an open loop
 * at that rate over as many sockets. Prints one JSON line (LoadResult) at the end.
 */
import { closedLoop, openLoopPosts, Poster, schoolBoardReferral, stringifyNumbers } from './http-load.ts';

const env = process.env;
const clients = Number(env['BENCH_HTTP_CLIENTS'] ?? 64);
const seconds = Number(env['BENCH_HTTP_SECONDS'] ?? 10);
const rate = Number(env['BENCH_HTTP_RATE'] ?? 0);
const runId = env['BENCH_HTTP_RUN'] ?? String(Date.now());
const poster = new Poster(env['BENCH_HTTP_URL'] ?? '', env['BENCH_HTTP_TOKEN'] ?? '', clients);
const body = (i: number) => schoolBoardReferral(i, runId);
// The adapter answers with the events it accepted: their ids, to find them in the view.
const keep =
  env['BENCH_HTTP_KEEP'] === 'events'
    ? (answer: string) => ((JSON.parse(answer) as { events?: { eventId: string }[] }).events ?? []).map((e) => e.eventId)
    : undefined;
// Warm-up: a few requests per socket open the connections (and let a JIT warm) before the clock starts.
await Promise.all(Array.from({ length: clients }, (_, i) => poster.post(schoolBoardReferral(i, `${runId}w`)).catch(() => undefined)));
const result = rate > 0 ? await openLoopPosts(poster, rate, seconds, body) : await closedLoop(poster, clients, seconds, body, keep);
poster.close();
console.log(stringifyNumbers(result));
