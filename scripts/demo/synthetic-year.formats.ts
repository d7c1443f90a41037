/**
 * The synthetic year in each ministry's own format, as its systems would send it: justice's
 * case-management CSV uploads and JSON status changes, health's FHIR ServiceRequest and Task,
 * a children's aid society's and a school board's JSON, everyone's service gaps and milestones.
 */
import type {
  Ministry,
  ReferringMinistry,
  StatusStep,
  SyntheticGap,
  SyntheticMilestone,
  SyntheticReferral,
  SyntheticYear,
} from './synthetic-year.ts';

export type AdapterName = 'justice' | 'child-welfare' | 'health' | 'education' | 'coordination-office';
export type RequestKind = 'referral' | 'status change' | 'consent withdrawal' | 'service gap' | 'gap resolution' | 'milestone';

export interface NativeRequest {
  readonly adapter: AdapterName;
  readonly path: string;
  readonly contentType: string;
  readonly body: string;
  readonly kind: RequestKind;
  /** For a creation: the referral numbers it carries, in row order (a CSV row's events say their row). */
  readonly referrals?: readonly string[];
  /** Records in the request (rows of a batch). */
  readonly records: number;
}

/** A request that names another ministry's referral by its Passerelle id, known once the referral is accepted. */
export type FollowUp = (referralIdOf: (number: string) => string | undefined) => NativeRequest | undefined;

const FHIR = 'https://passerelle.ontario.example/fhir';
const JUSTICE_BATCH_ROWS = 100;

export const adapterOf = (ministry: Ministry): AdapterName => ministry.toLowerCase().replace('_', '-') as AdapterName;
const lower = (symbol: string): string => symbol.toLowerCase();
const kebab = (symbol: string): string => symbol.toLowerCase().replace(/_/g, '-');
const iso = (ms: number): string => new Date(ms).toISOString();
const json = (adapter: AdapterName, path: string, kind: RequestKind, body: unknown, contentType = 'application/json'): NativeRequest => ({
  adapter,
  path,
  contentType,
  body: JSON.stringify(body),
  kind,
  records: 1,
});

/** Justice's and school boards' own words for the support needed, from the canonical category. */
const JUSTICE_SUPPORT: Readonly<Record<string, string>> = {
  housing: 'housing',
  mental_health_and_addictions: 'addictions',
  trauma_counselling: 'counselling',
  emergency_travel_and_shelter_funding: 'emergency_shelter',
  job_and_language_training: 'employment',
  legal_and_victim_witness_support: 'court_accompaniment',
  child_protection: 'child_protection',
  indigenous_led_service: 'indigenous_services',
};
const STUDENT_SUPPORT: Readonly<Record<string, string>> = {
  housing: 'safe_housing',
  mental_health_and_addictions: 'mental_health',
  trauma_counselling: 'guidance_counselling',
  child_protection: 'child_protection',
  indigenous_led_service: 'indigenous_support',
  education_support: 'academic_reengagement',
  legal_and_victim_witness_support: 'victim_services',
};
const PRIORITY = { ROUTINE: 'routine', PRIORITY: 'urgent', URGENT: 'asap', EMERGENCY: 'stat' } as const;
const RESPONSE_TIME = { ROUTINE: '21_days', PRIORITY: '7_days', URGENT: '12_hours', EMERGENCY: 'immediate' } as const;
const TASK_STATUS = {
  RECEIVED: 'received',
  ACCEPTED: 'accepted',
  DECLINED: 'rejected',
  IN_PROGRESS: 'in-progress',
  ON_HOLD: 'on-hold',
  COMPLETED: 'completed',
  WITHDRAWN: 'cancelled',
} as const;
/** An invented board number per region (the format is the Ministry of Education's; the numbers are not real boards'). */
const BOARD = {
  TORONTO: 'B90001',
  CENTRAL: 'B90002',
  EAST: 'B90003',
  WEST: 'B90004',
  NORTH_EAST: 'B90005',
  NORTH_WEST: 'B90006',
  PROVINCE_WIDE: 'B90007',
};
const LEGAL_STATUSES = ['in_care', 'leaving_care', 'in_community', 'kinship_service', 'in_community'] as const;

function justiceRow(r: SyntheticReferral): string {
  return [
    r.number,
    r.urgency === 'EMERGENCY' ? 'victim_quick_response' : 'vwap',
    `JP-${r.person}`,
    lower(r.serviceType),
    r.receiving ? lower(r.receiving) : '',
    JUSTICE_SUPPORT[r.category] ?? 'other',
    lower(r.region),
    lower(r.urgency),
    lower(r.consent),
    r.indigenous ? 'yes' : '',
    r.youngWoman ? 'yes' : '',
    iso(r.requestedAt),
  ].join(',');
}
const JUSTICE_HEADER =
  'referral_number,program,person_id,receiving_service_type,receiving_ministry,support_needed,region,urgency,consent,indigenous,young_women,referred_at';

function healthServiceRequest(r: SyntheticReferral): NativeRequest {
  return json(
    'health',
    '/fhir/ServiceRequest',
    'referral',
    {
      resourceType: 'ServiceRequest',
      id: r.number,
      extension: [
        { url: `${FHIR}/StructureDefinition/service-region`, valueCode: kebab(r.region) },
        { url: `${FHIR}/StructureDefinition/consent-scope`, valueCode: kebab(r.consent) },
        ...(r.receiving ? [{ url: `${FHIR}/StructureDefinition/receiving-ministry`, valueCode: kebab(r.receiving) }] : []),
      ],
      status: 'active',
      intent: 'order',
      priority: PRIORITY[r.urgency],
      category: [{ coding: [{ system: `${FHIR}/CodeSystem/service-category`, code: kebab(r.category) }] }],
      subject: { reference: `Patient/p-${r.person}` },
      performerType: { coding: [{ system: `${FHIR}/CodeSystem/receiving-service-type`, code: kebab(r.serviceType) }] },
      authoredOn: iso(r.requestedAt),
      reasonCode: [...(r.indigenous ? ['indigenous'] : []), ...(r.youngWoman ? ['young-women'] : [])].map((code) => ({
        coding: [{ system: `${FHIR}/CodeSystem/at-risk-group`, code }],
      })),
    },
    'application/fhir+json',
  );
}

function singleCreation(r: SyntheticReferral): NativeRequest {
  const common = { region: lower(r.region), urgency: lower(r.urgency), consent: lower(r.consent) };
  const request = (() => {
    switch (r.referring) {
      case 'HEALTH':
        return healthServiceRequest(r);
      case 'CHILD_WELFARE':
        return json('child-welfare', '/referrals', 'referral', {
          agencyCode: 'SYNCAS',
          casReference: r.number,
          child: { childId: `CW-${r.person}` },
          legalStatus: LEGAL_STATUSES[Number(r.person) % LEGAL_STATUSES.length],
          serviceRequested: r.category,
          receivingServiceType: lower(r.serviceType),
          ...(r.receiving ? { receivingMinistry: lower(r.receiving) } : {}),
          region: common.region,
          responseTime: RESPONSE_TIME[r.urgency],
          consentScope: common.consent,
          ...(r.indigenous ? { indigenousIdentity: true } : {}),
          ...(r.youngWoman ? { youngWoman: true } : {}),
          referralDate: iso(r.requestedAt),
        });
      case 'EDUCATION':
        return json('education', '/referrals', 'referral', {
          boardNumber: BOARD[r.region],
          boardReferralId: r.number,
          student: { oen: r.person },
          referredTo: { serviceType: lower(r.serviceType), ...(r.receiving ? { ministry: lower(r.receiving) } : {}) },
          supportNeeded: STUDENT_SUPPORT[r.category] ?? 'other',
          ...common,
          flags: { ...(r.indigenous ? { indigenous: true } : {}), ...(r.youngWoman ? { youngWomen: true } : {}) },
          referredOn: iso(r.requestedAt),
        });
      case 'JUSTICE':
        return json('justice', '/referrals', 'referral', {
          referralNumber: r.number,
          program: 'vwap',
          victim: { personId: `JP-${r.person}` },
          referredTo: { serviceType: lower(r.serviceType), ...(r.receiving ? { ministry: lower(r.receiving) } : {}) },
          supportNeeded: JUSTICE_SUPPORT[r.category] ?? 'other',
          ...common,
          referredAt: iso(r.requestedAt),
        });
    }
  })();
  return { ...request, referrals: [r.number] };
}

/** The referrals' creations: justice’s as CSV uploads of up to 100 rows, every other ministry's one by one. */
export function creationRequests(year: SyntheticYear): NativeRequest[] {
  const justice = year.referrals.filter((r) => r.referring === 'JUSTICE');
  const batches: NativeRequest[] = [];
  for (let i = 0; i < justice.length; i += JUSTICE_BATCH_ROWS) {
    const chunk = justice.slice(i, i + JUSTICE_BATCH_ROWS);
    batches.push({
      adapter: 'justice',
      path: '/referrals/batch',
      contentType: 'text/csv',
      body: [JUSTICE_HEADER, ...chunk.map(justiceRow)].join('\n'),
      kind: 'referral',
      referrals: chunk.map((r) => r.number),
      records: chunk.length,
    });
  }
  return [...batches, ...year.referrals.filter((r) => r.referring !== 'JUSTICE').map(singleCreation)];
}

const REFERENCE_FIELD: Readonly<Record<Exclude<ReferringMinistry, 'HEALTH'>, string>> = {
  JUSTICE: 'referralNumber',
  CHILD_WELFARE: 'casReference',
  EDUCATION: 'boardReferralId',
};

function statusChange(r: SyntheticReferral, step: StatusStep, index: number, referralIdOf: (n: string) => string | undefined) {
  const reporter = step.by === 'receiving' && r.receiving ? r.receiving : r.referring;
  const referralId = reporter === r.referring ? undefined : referralIdOf(r.number);
  if (reporter !== r.referring && referralId === undefined) return undefined;
  if (reporter === 'HEALTH') {
    return json(
      'health',
      '/fhir/Task',
      'status change',
      {
        resourceType: 'Task',
        id: `${r.number}-t${index + 1}`,
        status: TASK_STATUS[step.status],
        intent: 'order',
        focus: referralId
          ? { identifier: { system: `${FHIR}/NamingSystem/referral-id`, value: referralId } }
          : { reference: `ServiceRequest/${r.number}` },
        ...(step.reason
          ? { statusReason: { coding: [{ system: `${FHIR}/CodeSystem/referral-status-reason`, code: kebab(step.reason) }] } }
          : {}),
        lastModified: iso(step.at),
      },
      'application/fhir+json',
    );
  }
  return json(adapterOf(reporter), '/referrals/status-changes', 'status change', {
    ...(referralId ? { referralId } : { [REFERENCE_FIELD[reporter]]: r.number }),
    status: lower(step.status),
    ...(step.reason ? { reason: step.reason } : {}),
    changedAt: iso(step.at),
  });
}

/** Every status change and consent withdrawal, in the order they happened. */
export function followUps(year: SyntheticYear): FollowUp[] {
  const timed: { at: number; make: FollowUp }[] = [];
  for (const r of year.referrals) {
    r.steps.forEach((step, index) => timed.push({ at: step.at, make: (ids) => statusChange(r, step, index, ids) }));
    // Health's withdrawal of consent is its cancelled Task (a step); the others send their own record.
    if (r.consentWithdrawnAt !== null && r.referring !== 'HEALTH') {
      const at = r.consentWithdrawnAt;
      timed.push({
        at,
        make: () =>
          json(adapterOf(r.referring), '/referrals/consent-withdrawals', 'consent withdrawal', {
            [REFERENCE_FIELD[r.referring as Exclude<ReferringMinistry, 'HEALTH'>]]: r.number,
            withdrawnAt: iso(at),
          }),
      });
    }
  }
  return timed.sort((a, b) => a.at - b.at).map((t) => t.make);
}

export function gapReports(gaps: readonly SyntheticGap[]): NativeRequest[] {
  return gaps.map((g) =>
    json(adapterOf(g.by), '/service-gaps', 'service gap', {
      gapReference: g.reference,
      observedAt: iso(g.observedAt),
      region: lower(g.region),
      serviceCategory: g.category,
      severity: g.severity,
      gapCode: g.gapCode,
    }),
  );
}

export function gapResolutions(gaps: readonly SyntheticGap[]): NativeRequest[] {
  return gaps.flatMap((g) =>
    g.resolved
      ? [
          json(adapterOf(g.by), '/service-gaps/resolutions', 'gap resolution', {
            gapReference: g.reference,
            resolvedAt: iso(g.resolved.at),
            resolution: g.resolved.resolution,
          }),
        ]
      : [],
  );
}

export function milestoneRequests(milestones: readonly SyntheticMilestone[]): NativeRequest[] {
  return milestones.map((m) =>
    json(adapterOf(m.lead), '/initiative-milestones', 'milestone', {
      initiativeId: m.initiativeId,
      status: m.status,
      recordedAt: iso(m.recordedAt),
      ...(m.measure ? { measure: m.measure } : {}),
    }),
  );
}
