/**
 * A minimal service started the way Passerelle services start: telemetry first, the rest by
 * dynamic import. It answers one request with a parameterised query, then exits.
 */
import { startTelemetry } from '../src/index.ts';

const telemetry = startTelemetry({ serviceName: 'telemetry-probe', serviceVersion: '0.0.0', instrumentations: ['http', 'express', 'pg'] });
const { default: express } = await import('express');
const { default: pg } = await import('pg');

const pool = new pg.Pool({ connectionString: process.env['DATABASE_URL'] });
const app = express();
app.get('/probe/:id', async (req, res) => {
  const result = await pool.query('SELECT $1::text AS echoed', [req.query['canary'] ?? 'none']);
  res.json({ rows: result.rowCount });
});
const server = app.listen(0, '127.0.0.1', () => {
  const address = server.address() as { port: number };
  console.log(`PORT=${address.port}`);
});
app.get('/stop', async (_req, res) => {
  res.json({ stopping: true });
  server.close();
  await pool.end();
  await telemetry.flush();
  await telemetry.shutdown();
  process.exit(0);
});
