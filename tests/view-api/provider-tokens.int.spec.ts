import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { PARTIES } from '@passerelle/contracts';
import { clientToken, requireIdentity, userToken } from '@passerelle/testing';
import { DEFAULT_AUDIENCE, DEFAULT_DASHBOARD_CLIENT_ID, DEFAULT_MAX_TOKEN_AGE_SECONDS, type OidcSettings } from '@passerelle/view-api';
import { startViewApi, type ViewApiHarness } from './harness.ts';
import { SEED } from './view-seed.ts';

const stack = inject('stack');
const identity = requireIdentity(stack.identity);
const oidc: OidcSettings = {
  issuer: identity.issuer,
  jwksUrl: `${identity.issuer}/protocol/openid-connect/certs`,
  audience: DEFAULT_AUDIENCE,
  clockToleranceSeconds: 30,
  maxTokenAgeSeconds: DEFAULT_MAX_TOKEN_AGE_SECONDS,
  dashboardClientId: DEFAULT_DASHBOARD_CLIENT_ID,
};
let h: ViewApiHarness;

beforeAll(async () => {
  // Production: the provider's tokens only, the development secret configured yet refused.
  h = await startViewApi(stack.databaseUrl, 'view_api_provider', { environment: 'production', oidc });
});
afterAll(async () => {
  await h?.close();
});

describe('the view API with Keycloak’s access tokens', () => {
  it('lets the coordination-office user (analyst) read the referral statistics', async () => {
    const response = await h.get('/v1/stats/referrals?groupBy=region', await userToken(identity, 'analyst'));
    expect(response.status).toBe(200);
    expect(((await response.json()) as { cells: unknown[] }).cells.length).toBeGreaterThan(0);
  });

  it('shows a ministry user only the referrals of the ministry in the token’s ministry claim', async () => {
    const justice = (await (await h.get('/v1/referrals', await userToken(identity, 'ministry-justice'))).json()) as {
      items: Array<{ referralId: string }>;
    };
    expect(justice.items.map((r) => r.referralId)).toEqual([SEED.justiceToChildWelfare]);
    const education = await h.get(`/v1/referrals/${SEED.justiceToChildWelfare}`, await userToken(identity, 'ministry-education'));
    expect(education.status).toBe(404);
  });

  it('refuses with 401 a token the provider issued for another audience (an adapter’s)', async () => {
    const response = await h.get('/v1/stats/referrals', await clientToken(identity, 'adapter-justice'));
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toContain('invalid_token');
  });

  it('refuses an HS256 development token with 401 when the configuration says production', async () => {
    const response = await h.get('/v1/stats/referrals', await h.token('coordination-office'));
    expect(response.status).toBe(401);
    expect(((await response.json()) as { detail: string }).detail).toBe('development tokens are refused in production');
  });

  it('tells the dashboard the provider’s issuer, its client id and the parties’ names at /config.json, and lets the page reach only that origin besides its own', async () => {
    const response = await h.get('/config.json');
    expect(await response.json()).toEqual({
      oidc: { issuer: identity.issuer, clientId: DEFAULT_DASHBOARD_CLIENT_ID },
      developmentTokens: false,
      ministries: Object.fromEntries(PARTIES.map((party) => [party.id, party.displayName])),
    });
    const page = await h.get('/');
    expect(page.headers.get('content-security-policy')).toContain(`connect-src 'self' ${new URL(identity.issuer).origin};`);
  });
});
