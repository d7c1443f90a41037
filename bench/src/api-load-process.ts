/**
 * The dashboard's queries at a fixed rate, from a process of its own: the bench process also
 * produces the ingest load, and a busy event loop there would delay reading the answers and
 * inflate the latencies it measures. Warms up first, then prints one JSON line with the result.
 * Reads BENCH_API_URL, BENCH_API_TOKEN, BENCH_API_RATE, BENCH_API_SECONDS, BENCH_API_WARMUP_SECONDS.
 */
import { apiLoad } from './api-load.ts';

const env = process.env;
const required = (name: string): string => {
  const value = env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const url = required('BENCH_API_URL');
const token = required('BENCH_API_TOKEN');
const rate = Number(required('BENCH_API_RATE'));
const seconds = Number(required('BENCH_API_SECONDS'));
const warmup = Number(env['BENCH_API_WARMUP_SECONDS'] ?? 2);

if (warmup > 0) await apiLoad(url, token, rate, warmup); // connections, JIT, plan cache
const result = await apiLoad(url, token, rate, seconds);
console.log(JSON.stringify(result));
