import { describe, expect, it } from 'vitest';
import { Validator } from '@seriousme/openapi-schema-validator';
import { adapterContracts, buildAdapterOpenApi, readExample } from '@passerelle/adapter';
import { ADAPTER_MODULES, ADAPTER_NAMES } from './adapter-harness.ts';
import { exampleIssues } from './openapi-examples.ts';

describe.each(ADAPTER_NAMES)('the OpenAPI document of adapter-%s', (name) => {
  const { definition } = ADAPTER_MODULES[name];
  const contracts = adapterContracts(definition);

  it('is valid OpenAPI 3.1 whether or not a static token and a metrics token are configured', async () => {
    for (const security of [
      { staticToken: true, metricsToken: false },
      { staticToken: false, metricsToken: true, issuer: 'https://idp.example/realms/passerelle' },
    ]) {
      const document = buildAdapterOpenApi({ service: definition.service, ministry: definition.ministry, contracts, security });
      const result = await new Validator().validate(document as never);
      expect(result.errors ?? []).toEqual([]);
      expect(result.valid).toBe(true);
    }
  });

  it('gives every POST route at least one example, each valid for the route’s own schema', () => {
    expect(contracts.length).toBeGreaterThan(0);
    for (const contract of contracts) {
      expect(contract.examples.length, contract.path).toBeGreaterThan(0);
      for (const file of contract.examples) {
        const { name: example, text } = readExample(file);
        expect(exampleIssues(contract, text), `${contract.path} ${example}`).toEqual([]);
      }
    }
  });
});
