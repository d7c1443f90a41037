import { createDatabase, type Knex } from '@passerelle/db';
import { createTestDatabase, type TestDatabase } from '@passerelle/testing';
import { prepareView } from '@passerelle/projector';
import {
  DEFAULT_AUDIENCE,
  DEFAULT_DISCLOSURE,
  DEFAULT_INITIATIVE_STALE_DAYS,
  DEFAULT_ISSUER,
  mintDevToken,
  start,
  type RunningViewApi,
  type ViewApiConfig,
} from '@passerelle/view-api';
import { createLogger, type Logger } from '@passerelle/logging';
import { Writable } from 'node:stream';
import { seedView } from './view-seed.ts';
import { testKeyEncryptionKey } from '@passerelle/contracts/testing';

export const SECRET = 'test-secret-for-view-api-tests-0123456789';
/** The projector's record-key secret for these tests (a test value): the seed keys its referrals with it. */
export const RECORD_KEY_SECRET = 'test-only-record-key-secret-for-view-api-tests-0001';
/** The audit chain's HMAC key for these tests (a test value). */
export const AUDIT_HMAC_KEY = 'test-only-audit-hmac-key-for-view-api-tests-0001';
export const VIEW_SCHEMA = 'view';
export const API_SCHEMA = 'view_api';

export interface ViewApiHarness {
  readonly api: RunningViewApi;
  readonly db: Knex;
  readonly database: TestDatabase;
  token(role: string, ministry?: string, overrides?: { secret?: string; audience?: string; expiresIn?: string }): Promise<string>;
  get(path: string, token?: string): Promise<Response>;
  close(): Promise<void>;
}

export const quiet = createLogger({ service: 'view-api-test', destination: new Writable({ write: (_c, _e, cb) => cb() }) as never });

/** The configuration the tests start the view API with, on a given database. */
export function viewApiConfig(databaseUrl: string, overrides: Partial<ViewApiConfig> = {}): ViewApiConfig {
  return {
    port: 0,
    host: '127.0.0.1',
    databaseUrl,
    viewSchema: VIEW_SCHEMA,
    apiSchema: API_SCHEMA,
    environment: 'development',
    jwt: { issuer: DEFAULT_ISSUER, audience: DEFAULT_AUDIENCE, key: { kind: 'secret', secret: SECRET } },
    disclosure: DEFAULT_DISCLOSURE,
    audit: { hmacKey: AUDIT_HMAC_KEY },
    keyEncryptionKey: testKeyEncryptionKey(),
    traceUiUrl: 'http://127.0.0.1:9411/zipkin/traces/',
    initiativeStaleDays: DEFAULT_INITIATIVE_STALE_DAYS,
    pipelineSources: [],
    logLevel: 'silent',
    ...overrides,
  };
}

/** A database of the spec file's own, the view prepared by the projector's own migrations, seeded, and the API on port 0. */
export async function startViewApi(
  databaseUrl: string,
  prefix: string,
  overrides: Partial<ViewApiConfig> = {},
  options: { logger?: Logger } = {},
): Promise<ViewApiHarness> {
  const database = await createTestDatabase(databaseUrl, prefix);
  const db = createDatabase({ url: database.url, schema: VIEW_SCHEMA });
  await prepareView(db, VIEW_SCHEMA, { recordKeySecret: RECORD_KEY_SECRET });
  await seedView(db, VIEW_SCHEMA);
  const api = await start(viewApiConfig(database.url, overrides), { logger: options.logger ?? quiet });
  return {
    api,
    db,
    database,
    token: (role, ministry, o = {}) =>
      mintDevToken({
        secret: o.secret ?? SECRET,
        issuer: DEFAULT_ISSUER,
        audience: o.audience ?? DEFAULT_AUDIENCE,
        role,
        ministry,
        expiresIn: o.expiresIn,
      }),
    get: (path, token) => fetch(`${api.url}${path}`, token ? { headers: { authorization: `Bearer ${token}` } } : {}),
    async close() {
      await api.stop();
      await db.destroy();
      await database.drop();
    },
  };
}
