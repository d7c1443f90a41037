import { MINISTRY_SYMBOLS, type ConsentScope, type Ministry } from '@passerelle/schemas/generated';

/** Who may call the view API; one per token. */
export const ROLES = ['coordination-office', 'ministry', 'operator', 'indigenous-partner'] as const;
export type Role = (typeof ROLES)[number];

/** The ministries a `ministry` token can speak for. */
export const MINISTRIES = MINISTRY_SYMBOLS.filter((m) => m !== 'UNKNOWN' && m !== 'COORDINATION_OFFICE');
export type MinistryCode = (typeof MINISTRIES)[number];

export interface Principal {
  /** The token's subject: a user or service id, never a survivor's. */
  readonly subject: string;
  readonly role: Role;
  readonly ministry?: MinistryCode;
}

/** What each endpoint family allows, before row-level rules. */
export type Capability = 'referrals' | 'referral-flow' | 'stats' | 'initiatives' | 'service-gaps' | 'dead-letters' | 'pipeline' | 'audit';

const CAPABILITIES: Readonly<Record<Role, readonly Capability[]>> = {
  'coordination-office': ['referrals', 'referral-flow', 'stats', 'initiatives', 'service-gaps', 'audit'],
  ministry: ['referrals', 'referral-flow', 'stats', 'initiatives', 'service-gaps'],
  operator: ['referral-flow', 'dead-letters', 'pipeline'],
  'indigenous-partner': ['referrals', 'referral-flow', 'stats', 'initiatives', 'service-gaps'],
};

export function may(principal: Principal, capability: Capability): boolean {
  return CAPABILITIES[principal.role].includes(capability);
}

/**
 * Which consent scopes a role may see person by person. STANDARD is shared under the
 * agreement; INDIGENOUS_PARTNER_CONTROLLED (OCAP) only with the Indigenous partner;
 * AGGREGATE_ONLY and UNKNOWN (read as the most restrictive) with nobody.
 */
export function visibleConsentScopes(role: Role): readonly ConsentScope[] {
  if (role === 'indigenous-partner') return ['INDIGENOUS_PARTNER_CONTROLLED'];
  if (role === 'operator') return [];
  return ['STANDARD'];
}

export interface ReferralScope {
  readonly consentScope: ConsentScope;
  readonly referringMinistry: Ministry;
  readonly receivingMinistry: Ministry | null;
}

/** Row-level rule for one referral's person-level data. */
export function maySeeReferral(principal: Principal, referral: ReferralScope): boolean {
  if (!may(principal, 'referrals')) return false;
  if (!visibleConsentScopes(principal.role).includes(referral.consentScope)) return false;
  if (principal.role === 'ministry') {
    return (
      principal.ministry !== undefined &&
      (referral.referringMinistry === principal.ministry || referral.receivingMinistry === principal.ministry)
    );
  }
  return true;
}

/** A flow holds no person-level field: operators see every flow, others what they may see of the referral. */
export function maySeeFlow(principal: Principal, referral: ReferralScope | undefined): boolean {
  if (!may(principal, 'referral-flow')) return false;
  if (principal.role === 'operator') return true;
  return referral !== undefined && maySeeReferral(principal, referral);
}
