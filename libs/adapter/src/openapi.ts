import { z } from 'zod';
import { EVENT_TYPES } from '@passerelle/contracts';
import { PROBLEM_PAGES_BASE, PROBLEM_TYPES, PROBLEM_TYPE_NAMES, type ProblemTypeName } from '@passerelle/http';
import { readExample, type OperationContract, type RouteContract } from './route-contract.ts';

type JsonSchema = Record<string, unknown>;

/** The version of the adapters' HTTP contract; `key` in the 202 answer goes in 2.0.0. */
export const ADAPTER_API_VERSION = '1.1.0';

/** Where the adapters serve the problem pages their problem `type`s resolve to. */
export const PROBLEM_TYPE_BASE_PATH = PROBLEM_PAGES_BASE;

/** What the document says about how callers authenticate. */
export interface OpenApiSecurity {
  /** The identity provider's issuer, when the adapter accepts its access tokens. */
  readonly issuer?: string | undefined;
  /** Whether a static development token is configured (never in production). */
  readonly staticToken: boolean;
  /** Whether /metrics asks for a token of its own. */
  readonly metricsToken: boolean;
}

export interface AdapterOpenApiOptions {
  readonly service: string;
  readonly ministry: string;
  readonly contracts: readonly RouteContract[];
  /** The adapter's other routes (reads, operations that write nothing). */
  readonly operations?: readonly OperationContract[];
  readonly security: OpenApiSecurity;
}

/** zod's own JSON Schema (draft 2020-12, the dialect of OpenAPI 3.1) of what a caller sends. */
export function requestSchemaOf(schema: z.ZodType): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' });
  return rest;
}

const fieldProblemSchema = z.object({
  field: z.string().meta({ description: 'a path such as victim.dateOfBirth or "row 4, column region"; never a value' }),
  reason: z.string(),
});

/** RFC 7807 problem details as every adapter answers them. */
const problemSchema = z.object({
  type: z
    .enum(PROBLEM_TYPE_NAMES.map((name) => `${PROBLEM_TYPE_BASE_PATH}${name}`) as [string, ...string[]])
    .meta({ description: 'a reference resolved against the adapter’s address: GET it for the explanation in English and French' }),
  title: z.string(),
  status: z.number().int(),
  detail: z.string(),
  instance: z.string().optional().meta({ description: 'the route’s pattern, never the concrete path' }),
  errors: z.array(fieldProblemSchema).optional(),
  requestId: z.string().optional().meta({ description: '500 only: where the error was logged' }),
  retryAfter: z.number().int().optional().meta({ description: '429 only: seconds, as Retry-After says' }),
});

const acceptedEventSchema = z.object({
  eventId: z.uuid(),
  eventType: z.enum(EVENT_TYPES),
  referralId: z.uuid().optional().meta({ description: 'the referral’s Passerelle id (referral events)' }),
  gapId: z.uuid().optional().meta({ description: 'the gap’s Passerelle id (service gap events)' }),
  initiativeId: z.string().optional().meta({ description: 'the initiative’s catalogue id (milestones)' }),
  key: z.string().meta({
    deprecated: true,
    description: 'the same id as referralId, gapId or initiativeId; kept for 1.x only, removed in 2.0.0',
  }),
  row: z.number().int().optional().meta({ description: 'the CSV row (header is row 1) the event came from' }),
});

const acceptedSchema = z.object({ events: z.array(acceptedEventSchema) });

const toSchema = (schema: z.ZodType): JsonSchema => {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'output' });
  return rest;
};

/** The problems a POST route can answer, besides 503 which any route can. */
const POST_PROBLEMS: readonly ProblemTypeName[] = [
  'validation',
  'unauthorized',
  'forbidden',
  'conflict',
  'payload-too-large',
  'unsupported-media-type',
  'too-many-requests',
];

const RESPONSE_OF: Readonly<Record<ProblemTypeName, string>> = {
  validation: 'Problem400',
  'bad-request': 'Problem400',
  unauthorized: 'Problem401',
  forbidden: 'Problem403',
  'not-found': 'Problem404',
  conflict: 'Problem409',
  'payload-too-large': 'Problem413',
  'unsupported-media-type': 'Problem415',
  'too-many-requests': 'Problem429',
  'internal-error': 'Problem500',
  'service-unavailable': 'Problem503',
};

const ref = (name: string) => ({ $ref: `#/components/responses/${name}` });

function problemResponses(): Record<string, unknown> {
  const responses: Record<string, unknown> = {};
  for (const name of PROBLEM_TYPE_NAMES) {
    const key = RESPONSE_OF[name];
    const facts = PROBLEM_TYPES[name];
    const existing = responses[key] as { description: string; content: Record<string, { examples: Record<string, unknown> }> } | undefined;
    const example = {
      summary: facts.en.title,
      value: { type: `${PROBLEM_TYPE_BASE_PATH}${name}`, title: facts.title, status: facts.status, detail: facts.en.meaning },
    };
    if (existing) {
      existing.description += ` / ${facts.en.title}`;
      (existing.content['application/problem+json'] as { examples: Record<string, unknown> }).examples[name] = example;
      continue;
    }
    responses[key] = {
      description: `${facts.en.title} (RFC 7807 problem details; see ${PROBLEM_TYPE_BASE_PATH}${name})`,
      ...(name === 'too-many-requests' || name === 'service-unavailable'
        ? { headers: { 'Retry-After': { description: 'seconds to wait', schema: { type: 'integer' } } } }
        : {}),
      content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' }, examples: { [name]: example } } },
    };
  }
  return responses;
}

function requestBodyOf(contract: RouteContract): Record<string, unknown> {
  const examples = Object.fromEntries(
    contract.examples.map((file) => {
      const example = readExample(file);
      return [
        example.name,
        { summary: `fixtures/${example.name}`, value: contract.body.kind === 'json' ? JSON.parse(example.text) : example.text },
      ];
    }),
  );
  if (contract.body.kind === 'json') {
    const schema = requestSchemaOf(contract.body.schema);
    return {
      required: true,
      content: Object.fromEntries(contract.body.mediaTypes.map((type) => [type, { schema, examples }])),
    };
  }
  const { spec } = contract.body;
  return {
    required: true,
    description: [
      `A CSV file, header first, at most ${spec.maxRows} rows; validated whole (all rows or none).`,
      `Required columns: ${spec.required.join(', ')}.`,
      `Optional columns: ${spec.optional.join(', ')}.`,
      `Free-text columns (dropped; the only ones where a cell may start with = + - @): ${spec.freeText.join(', ')}.`,
    ].join(' '),
    content: {
      'text/csv': {
        schema: {
          type: 'string',
          contentMediaType: 'text/csv',
          'x-passerelle-csv-columns': { required: spec.required, optional: spec.optional, freeText: spec.freeText },
          'x-passerelle-csv-row': requestSchemaOf(spec.row),
        },
        examples,
      },
    },
  };
}

function operationIdOf(path: string): string {
  return `post${path
    .split(/[/-]/)
    .filter(Boolean)
    .map((part) => `${part[0]?.toUpperCase() ?? ''}${part.slice(1)}`)
    .join('')}`;
}

const jsonAnswer = (description: string) => ({
  description,
  content: { 'application/json': { schema: { type: 'object' } } },
});

/**
 * The adapter's OpenAPI 3.1 document: each POST route from its contract (the zod schema that
 * validates it, its fixtures as examples), the 202 answer, the problems, and the routes served
 * without a credential. Built once at start.
 */
export function buildAdapterOpenApi(options: AdapterOpenApiOptions): Record<string, unknown> {
  const credential = [{ accessToken: [] }, ...(options.security.staticToken ? [{ staticToken: [] }] : [])];
  const paths: Record<string, Record<string, unknown>> = {};
  for (const contract of options.contracts) {
    paths[contract.path] = {
      post: {
        operationId: operationIdOf(contract.path),
        summary: contract.summary,
        ...(contract.description || contract.forbiddenWhen
          ? {
              description: [contract.description, contract.forbiddenWhen ? `403 also when ${contract.forbiddenWhen}.` : undefined]
                .filter(Boolean)
                .join('\n\n'),
            }
          : {}),
        security: credential,
        'x-passerelle-events': contract.events,
        parameters: [{ $ref: '#/components/parameters/IdempotencyKey' }],
        requestBody: requestBodyOf(contract),
        responses: {
          '202': {
            description:
              'Accepted: committed to the outbox, published to Kafka after the answer. The same record again answers the same body with Idempotent-Replayed: true.',
            headers: { 'Idempotent-Replayed': { schema: { type: 'string', enum: ['true', 'false'] } } },
            content: { 'application/json': { schema: { $ref: '#/components/schemas/Accepted' } } },
          },
          ...Object.fromEntries(POST_PROBLEMS.map((name) => [String(PROBLEM_TYPES[name].status), ref(RESPONSE_OF[name])])),
          '500': ref('Problem500'),
          '503': ref('Problem503'),
        },
      },
    };
  }
  const open = { security: [] };
  for (const operation of options.operations ?? []) {
    const path = operation.path.replace(/:([A-Za-z]+)/g, '{$1}');
    const problemNames: readonly ProblemTypeName[] = [
      ...(operation.body ? (['validation', 'payload-too-large', 'unsupported-media-type'] as const) : []),
      ...(operation.public ? [] : (['unauthorized', 'forbidden'] as const)),
      ...(operation.parameters ? (['not-found'] as const) : []),
      'too-many-requests',
    ];
    paths[path] = {
      ...paths[path],
      [operation.method]: {
        operationId: operation.operationId,
        summary: operation.summary,
        ...(operation.description ? { description: operation.description } : {}),
        ...(operation.public ? open : { security: credential }),
        ...(operation.parameters
          ? {
              parameters: Object.entries(operation.parameters).map(([name, values]) => ({
                name,
                in: 'path',
                required: true,
                schema: { type: 'string', enum: [...values] },
              })),
            }
          : {}),
        ...(operation.body
          ? {
              requestBody: {
                required: true,
                content: Object.fromEntries(
                  operation.body.mediaTypes.map((type) => [type, { schema: requestSchemaOf(operation.body?.schema ?? z.unknown()) }]),
                ),
              },
            }
          : {}),
        responses: {
          '200': {
            description: 'OK',
            content: Object.fromEntries(operation.answers.map((type) => [type, { schema: { type: 'object' } }])),
          },
          ...Object.fromEntries(problemNames.map((name) => [String(PROBLEM_TYPES[name].status), ref(RESPONSE_OF[name])])),
          '503': ref('Problem503'),
        },
      },
    };
  }
  paths['/healthz'] = { get: { operationId: 'getHealthz', summary: 'Liveness', ...open, responses: { '200': jsonAnswer('alive') } } };
  paths['/readyz'] = {
    get: {
      operationId: 'getReadyz',
      summary: 'Readiness: PostgreSQL required, Kafka reported',
      ...open,
      responses: { '200': jsonAnswer('ready'), '503': jsonAnswer('not ready') },
    },
  };
  paths['/metrics'] = {
    get: {
      operationId: 'getMetrics',
      summary: 'Prometheus metrics',
      security: options.security.metricsToken ? [{ metricsToken: [] }] : [],
      responses: {
        '200': { description: 'OK', content: { 'text/plain': { schema: { type: 'string' } } } },
        ...(options.security.metricsToken ? { '401': ref('Problem401') } : {}),
      },
    },
  };
  paths['/openapi.json'] = {
    get: { operationId: 'getOpenApi', summary: 'This document', ...open, responses: { '200': jsonAnswer('this document') } },
  };
  paths[`${PROBLEM_TYPE_BASE_PATH}{name}`] = {
    get: {
      operationId: 'getProblemType',
      summary: 'What a problem type means and what to do, in English and French',
      ...open,
      parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string', enum: [...PROBLEM_TYPE_NAMES] } }],
      responses: {
        '200': {
          description: 'an HTML page, one section per language (lang="en", lang="fr")',
          content: { 'text/html': { schema: { type: 'string' } } },
        },
        '404': ref('Problem404'),
      },
    },
  };
  return {
    openapi: '3.1.0',
    info: {
      title: `Passerelle ${options.service}`,
      version: ADAPTER_API_VERSION,
      description: `Where the ${options.ministry} party’s systems send their records. Each record is validated, accepted in one transaction (202) and published as canonical events. Answers name the referral as \`referralId\` (gap: \`gapId\`, milestone: \`initiativeId\`); \`key\` carries the same id for 1.x only.`,
    },
    servers: [{ url: '/' }],
    security: credential,
    paths,
    components: {
      securitySchemes: {
        accessToken: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: `An access token the identity provider${options.security.issuer ? ` (${options.security.issuer})` : ''} issues to the ministry’s systems by the client-credentials grant: audience ${options.service}, ministry claim ${options.ministry}.`,
        },
        ...(options.security.staticToken
          ? {
              staticToken: {
                type: 'http',
                scheme: 'bearer',
                description:
                  'A static token of PASSERELLE_MINISTRY_TOKEN: development and tests only; production refuses to start with one.',
              },
            }
          : {}),
        ...(options.security.metricsToken
          ? {
              metricsToken: {
                type: 'http',
                scheme: 'bearer',
                description: 'The token of PASSERELLE_METRICS_TOKEN_FILE, for /metrics only.',
              },
            }
          : {}),
      },
      parameters: {
        IdempotencyKey: {
          name: 'Idempotency-Key',
          in: 'header',
          required: false,
          description: 'Scoped to the route: the same key with the same body answers the first answer again; with another body, 409.',
          schema: { type: 'string', pattern: '^[\\x21-\\x7e]{1,200}$' },
        },
      },
      schemas: { Problem: toSchema(problemSchema), Accepted: toSchema(acceptedSchema) },
      responses: problemResponses(),
    },
  };
}
