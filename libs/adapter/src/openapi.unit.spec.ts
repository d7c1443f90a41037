import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { PROBLEM_TYPE_NAMES } from '@passerelle/http';
import { buildAdapterOpenApi } from './openapi.ts';
import { jsonContract } from './route-contract.ts';

const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'openapi-'));
fs.writeFileSync(path.join(folder, 'thing.json'), '{"size":3}');

const contract = jsonContract({
  path: '/things',
  summary: 'A thing',
  schema: z.strictObject({ size: z.number().int().min(1) }),
  events: ['ServiceGapReported'],
  examples: [pathToFileURL(path.join(folder, 'thing.json'))],
});

type Document = {
  paths: Record<string, Record<string, Record<string, unknown>>>;
  security: unknown[];
  components: {
    securitySchemes: Record<string, unknown>;
    schemas: Record<string, { properties: Record<string, Record<string, unknown>> }>;
  };
};

const build = (staticToken: boolean): Document =>
  buildAdapterOpenApi({
    service: 'adapter-test',
    ministry: 'JUSTICE',
    contracts: [contract],
    security: { staticToken, metricsToken: false },
  }) as Document;

describe('an adapter’s OpenAPI document', () => {
  it('describes a route’s body with the JSON Schema of its zod schema and its fixture as the example', () => {
    const body = build(true).paths['/things']?.['post']?.['requestBody'] as {
      content: Record<string, { schema: Record<string, unknown>; examples: Record<string, { value: unknown }> }>;
    };
    expect(body.content['application/json']?.schema).toMatchObject({
      type: 'object',
      properties: { size: { type: 'integer', minimum: 1 } },
      additionalProperties: false,
    });
    expect(body.content['application/json']?.examples['thing']?.value).toEqual({ size: 3 });
  });

  it('lists the static token only where one is configured', () => {
    expect(Object.keys(build(true).components.securitySchemes)).toEqual(['accessToken', 'staticToken']);
    expect(Object.keys(build(false).components.securitySchemes)).toEqual(['accessToken']);
    expect(build(false).security).toEqual([{ accessToken: [] }]);
  });

  it('marks key deprecated and names every problem type as a page of the adapter', () => {
    const { schemas } = build(true).components;
    const event = (schemas['Accepted']?.properties['events'] as { items: { properties: Record<string, Record<string, unknown>> } }).items;
    expect(event.properties['key']).toMatchObject({ deprecated: true });
    expect(event.properties['referralId']).toBeDefined();
    expect(schemas['Problem']?.properties['type']?.['enum']).toEqual(PROBLEM_TYPE_NAMES.map((name) => `/problems/${name}`));
  });

  it('documents 202 and the problems a POST route can answer, and leaves the public routes without security', () => {
    const document = build(true);
    const responses = document.paths['/things']?.['post']?.['responses'] as Record<string, unknown>;
    expect(Object.keys(responses).sort()).toEqual(['202', '400', '401', '403', '409', '413', '415', '429', '500', '503']);
    for (const open of ['/openapi.json', '/problems/{name}', '/healthz', '/readyz'])
      expect(document.paths[open]?.['get']?.['security'], open).toEqual([]);
  });
});
