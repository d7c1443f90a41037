import { z } from 'zod';
import { problemSchema } from '../domain/api.schemas.ts';
import type { RouteSpec } from './routes.ts';

type JsonSchema = Record<string, unknown>;

const toSchema = (schema: z.ZodType, io: 'input' | 'output'): JsonSchema => {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
};

const problemResponse = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
});

/** OpenAPI 3.1 from the same zod schemas that validate requests, so the two cannot drift. */
export function buildOpenApi(routes: readonly RouteSpec[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const path = route.path.replace(/:([A-Za-z]+)/g, '{$1}');
    const query = toSchema(route.query, 'input') as { properties?: Record<string, JsonSchema>; required?: string[] };
    const parameters = [
      ...Object.entries(route.params ?? {}).map(([name, schema]) => ({
        name,
        in: 'path',
        required: true,
        schema: toSchema(schema, 'input'),
      })),
      ...Object.entries(query.properties ?? {}).map(([name, schema]) => ({
        name,
        in: 'query',
        required: (query.required ?? []).includes(name),
        ...(typeof schema['description'] === 'string' ? { description: schema['description'] } : {}),
        schema,
      })),
    ];
    paths[path] = {
      get: {
        summary: route.summary,
        operationId: `get${path
          .replace(/[{}]/g, '')
          .split(/[/-]/)
          .filter(Boolean)
          .map((p) => p[0]?.toUpperCase() + p.slice(1))
          .join('')}`,
        security: [{ bearer: [] }],
        'x-passerelle-person-level': route.personLevel,
        parameters,
        responses: {
          '200': { description: 'OK', content: { 'application/json': { schema: toSchema(route.response, 'output') } } },
          '400': problemResponse('invalid parameters'),
          '401': problemResponse('missing, expired or invalid bearer token'),
          '403': problemResponse('the role may not see this'),
          // A person-level id the caller may not see gets the very answer of a missing one.
          ...(route.params
            ? {
                '404': problemResponse(
                  route.personLevel ? 'no such referral, or one the caller may not see (the same answer)' : 'not found',
                ),
              }
            : {}),
        },
      },
    };
  }
  const plain = (summary: string, type: string) => ({
    get: { summary, security: [], responses: { '200': { description: 'OK', content: { [type]: { schema: { type: 'string' } } } } } },
  });
  paths['/healthz'] = {
    get: {
      summary: 'Liveness',
      security: [],
      responses: { '200': { description: 'alive', content: { 'application/json': { schema: { type: 'object' } } } } },
    },
  };
  paths['/readyz'] = {
    get: {
      summary: 'Readiness (database reachable)',
      security: [],
      responses: {
        '200': { description: 'ready', content: { 'application/json': { schema: { type: 'object' } } } },
        '503': { description: 'not ready', content: { 'application/json': { schema: { type: 'object' } } } },
      },
    },
  };
  paths['/metrics'] = plain('Prometheus metrics', 'text/plain');
  paths['/openapi.json'] = {
    get: {
      summary: 'This document',
      security: [],
      responses: { '200': { description: 'OK', content: { 'application/json': { schema: { type: 'object' } } } } },
    },
  };
  paths['/config.json'] = {
    get: {
      summary: 'What the dashboard needs to sign people in: the identity provider’s issuer and the dashboard’s client id',
      security: [],
      responses: {
        '200': {
          description: 'OK',
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['oidc', 'developmentTokens', 'ministries'],
                properties: {
                  oidc: {
                    oneOf: [
                      {
                        type: 'object',
                        required: ['issuer', 'clientId'],
                        properties: { issuer: { type: 'string', format: 'uri' }, clientId: { type: 'string' } },
                      },
                      { type: 'null' },
                    ],
                  },
                  developmentTokens: { type: 'boolean', description: 'a pasted development token is accepted (never in production)' },
                  ministries: {
                    type: 'object',
                    description: 'each party’s name in English and French, by its Ministry symbol (schemas/parties.json)',
                    additionalProperties: {
                      type: 'object',
                      required: ['en', 'fr'],
                      properties: { en: { type: 'string' }, fr: { type: 'string' } },
                    },
                  },
                },
              },
            },
          },
        },
      },
    },
  };
  paths['/'] = plain('The dashboard (static HTML, JS and CSS)', 'text/html');
  return {
    openapi: '3.1.0',
    info: {
      title: 'Passerelle view API',
      version: '1.0.0',
      description: 'The coordination view: access-controlled, audited, small cells suppressed.',
    },
    servers: [{ url: '/' }],
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      schemas: { Problem: toSchema(problemSchema, 'output') },
    },
    paths,
  };
}
