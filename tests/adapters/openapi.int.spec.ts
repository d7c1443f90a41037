import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Validator } from '@seriousme/openapi-schema-validator';
import { adapterContracts, readExample } from '@passerelle/adapter';
import { EVENT_TYPE_FACTS, type EventType } from '@passerelle/contracts';
import { ADAPTER_MODULES, ADAPTER_NAMES, type AdapterName, type StartedAdapter } from './adapter-harness.ts';
import { startAdaptersFixture, type AdaptersFixture } from './adapters-fixture.ts';
import { exampleIssues, mediaTypeOf } from './openapi-examples.ts';

const stack = inject('stack');

interface OpenApiDocument {
  readonly openapi: string;
  readonly paths: Record<
    string,
    Record<string, { requestBody?: { content: Record<string, { examples?: Record<string, { value: unknown }> }> } }>
  >;
  readonly components: { readonly schemas: { readonly Problem: { readonly properties: { readonly type: { readonly enum: string[] } } } } };
}

interface AcceptedAnswer {
  readonly events: ReadonlyArray<{ eventId: string; eventType: EventType; key: string } & Record<string, unknown>>;
}

let fixture: AdaptersFixture;
const documents = new Map<AdapterName, OpenApiDocument>();
const adapter = (name: AdapterName): StartedAdapter => fixture.adapters[name];

beforeAll(async () => {
  fixture = await startAdaptersFixture(stack, 'openapi');
});
afterAll(async () => {
  await fixture?.stop();
});

/** The document as an integrator gets it: no Authorization header. */
async function openapiOf(name: AdapterName): Promise<OpenApiDocument> {
  const known = documents.get(name);
  if (known) return known;
  const response = await fetch(`${adapter(name).url}/openapi.json`);
  expect(response.status).toBe(200);
  const document = (await response.json()) as OpenApiDocument;
  documents.set(name, document);
  return document;
}

describe.each(ADAPTER_NAMES)('adapter-%s publishes its contract', (name) => {
  it('serves /openapi.json without a token, as a valid OpenAPI 3.1 document', async () => {
    const document = await openapiOf(name);
    expect(document.openapi).toBe('3.1.0');
    const result = await new Validator().validate(document as never);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('documents exactly the routes the running server mounts', async () => {
    const document = await openapiOf(name);
    const documented = Object.entries(document.paths).flatMap(([path, operations]) =>
      Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`),
    );
    const mounted = adapter(name).running.routes.map((route) => `${route.method} ${route.path.replace(/:([A-Za-z]+)/g, '{$1}')}`);
    expect(mounted).toContain('POST /initiative-milestones');
    expect([...new Set(mounted)].sort()).toEqual([...documented].sort());
  });

  it('gives the fixtures as examples, each valid for the route’s zod schema and accepted with 202 naming its ids', async () => {
    const document = await openapiOf(name);
    const contracts = adapterContracts(ADAPTER_MODULES[name].definition);
    let sent = 0;
    // In mounting order, consent withdrawals last: a referral whose consent was withdrawn is refused afterwards.
    for (const contract of contracts) {
      const content = document.paths[contract.path]?.['post']?.requestBody?.content[mediaTypeOf(contract)];
      for (const file of contract.examples) {
        const example = readExample(file);
        const where = `${contract.path} ${example.name}`;
        const documented = content?.examples?.[example.name]?.value;
        expect(documented, where).toEqual(contract.body.kind === 'json' ? JSON.parse(example.text) : example.text);
        expect(exampleIssues(contract, example.text), where).toEqual([]);

        const response = await fetch(`${adapter(name).url}${contract.path}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${adapter(name).token}`, 'content-type': mediaTypeOf(contract) },
          body: example.text,
        });
        const answer = (await response.json()) as AcceptedAnswer;
        expect(response.status, `${where}: ${JSON.stringify(answer)}`).toBe(202);
        expect(answer.events.length, where).toBeGreaterThan(0);
        for (const event of answer.events) {
          expect(contract.events, where).toContain(event.eventType);
          // The id under its name, and under the deprecated `key` for 1.x.
          expect(event[EVENT_TYPE_FACTS[event.eventType].keyField], where).toBe(event.key);
        }
        sent += 1;
      }
    }
    expect(sent).toBeGreaterThan(0);
  });

  it('makes every problem type it can answer resolve, without a token, to a page in English and French', async () => {
    const document = await openapiOf(name);
    const types = document.components.schemas.Problem.properties.type.enum;
    expect(types.length).toBeGreaterThanOrEqual(10);
    for (const type of types) {
      const page = await fetch(new URL(type, `${adapter(name).url}/referrals`));
      expect(page.status, type).toBe(200);
      expect(page.headers.get('content-type'), type).toMatch(/^text\/html/);
      const html = await page.text();
      expect(html, type).toContain('lang="en"');
      expect(html, type).toContain('lang="fr"');
    }
  });
});

describe('problem types of real refusals', () => {
  it('resolve on the adapter that answered them', async () => {
    const justice = adapter('justice');
    const auth = { authorization: `Bearer ${justice.token}` };
    const refusals: Array<{ status: number; request: Promise<Response> }> = [
      { status: 401, request: fetch(`${justice.url}/referrals`, { method: 'POST' }) },
      { status: 404, request: fetch(`${justice.url}/nowhere`, { headers: auth }) },
      {
        status: 415,
        request: fetch(`${justice.url}/referrals`, { method: 'POST', headers: { ...auth, 'content-type': 'text/plain' }, body: '{}' }),
      },
      {
        status: 400,
        request: fetch(`${justice.url}/referrals`, {
          method: 'POST',
          headers: { ...auth, 'content-type': 'application/json' },
          body: '{}',
        }),
      },
      {
        status: 403,
        request: fetch(`${justice.url}/initiative-milestones`, {
          method: 'POST',
          headers: { ...auth, 'content-type': 'application/json' },
          body: JSON.stringify({ initiativeId: 'S2016-P4-04', status: 'reached', recordedAt: '2025-02-28T00:00:00Z' }),
        }),
      },
      {
        status: 413,
        request: fetch(`${justice.url}/referrals`, {
          method: 'POST',
          headers: { ...auth, 'content-type': 'application/json' },
          body: JSON.stringify({ notes: 'x'.repeat(70_000) }),
        }),
      },
    ];
    for (const refusal of refusals) {
      const response = await refusal.request;
      expect(response.status).toBe(refusal.status);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      const problem = (await response.json()) as { type: string };
      expect(problem.type).toMatch(/^\/problems\/[a-z-]+$/);
      expect((await fetch(new URL(problem.type, justice.url))).status, problem.type).toBe(200);
    }
  });
});
