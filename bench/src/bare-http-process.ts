/**
 * L_http, the reference for the adapters' HTTP path: a bare express server that answers each
 * POST with one INSERT of the JSON body into a table of the same PostgreSQL, then 202. No
 * validation, pseudonymisation, idempotency or outbox: what HTTP, JSON and one commit per
 * request cost on this machine. Prints `listening <port>` once up; stops on SIGTERM.
 */
import express from 'express';
import pg from 'pg';

const env = process.env;
const schema = env['BENCH_SCHEMA'] ?? 'bench_lhttp';
const token = env['BENCH_TOKEN'] ?? '';
// The pool the adapters' knex pool has by default (libs/db: 10 connections).
const pool = new pg.Pool({
  connectionString: env['DATABASE_URL'],
  max: Number(env['BENCH_POOL'] ?? 10),
  application_name: 'passerelle-bench-lhttp',
});
const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;
await pool.query(`CREATE SCHEMA IF NOT EXISTS ${ident(schema)}`);
await pool.query(
  `CREATE TABLE IF NOT EXISTS ${ident(schema)}.requests (id bigserial PRIMARY KEY, body jsonb NOT NULL, received_at timestamptz NOT NULL DEFAULT now())`,
);
const insert = `INSERT INTO ${ident(schema)}.requests (body) VALUES ($1) RETURNING id`;

const app = express();
app.disable('x-powered-by');
app.use(express.json({ limit: '64kb' }));
app.post('/referrals', (req, res, next) => {
  if (req.headers.authorization !== `Bearer ${token}`) {
    res.status(401).end();
    return;
  }
  pool
    .query(insert, [JSON.stringify(req.body)])
    .then((result) => res.status(202).json({ id: String((result.rows[0] as { id: string }).id) }))
    .catch(next);
});
const server = app.listen(Number(env['PORT'] ?? 0), '127.0.0.1', () => {
  const address = server.address();
  console.log(`listening ${typeof address === 'object' && address ? address.port : ''}`);
});
server.keepAliveTimeout = 65_000;
process.on('SIGTERM', () => {
  server.close();
  void pool.end().then(() => process.exit(0));
});
