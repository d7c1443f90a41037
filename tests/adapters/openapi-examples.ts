import { parseCsvBatch, type RouteContract } from '@passerelle/adapter';

/** An example's text parsed by the route's own schema, as the route parses a request: the issues when it fails. */
export function exampleIssues(contract: RouteContract, text: string): unknown[] {
  if (contract.body.kind === 'csv') {
    try {
      parseCsvBatch(text, contract.body.spec);
      return [];
    } catch (error) {
      return [(error as { errors?: unknown }).errors ?? String(error)];
    }
  }
  const result = contract.body.schema.safeParse(JSON.parse(text));
  return result.success ? [] : result.error.issues;
}

/** The media type an example is sent with: the route's first. */
export function mediaTypeOf(contract: RouteContract): string {
  return contract.body.kind === 'csv' ? 'text/csv' : (contract.body.mediaTypes[0] ?? 'application/json');
}
