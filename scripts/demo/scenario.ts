/**
 * The demo `npm start` sends through the adapters' HTTP APIs, as the ministries' systems
 * would: referrals between ministries in every region, status changes (some reported by the
 * receiving ministry through the Passerelle referral id), consent withdrawals, service gaps and
 * a resolution, and milestones of initiatives of all four pillars. All people are invented.
 * Every record has a fixed source id and time, so running it again is answered with the
 * original acceptances and adds nothing.
 */

/** The adapters the demo sends to, by adapter name (`child-welfare`): every party's, from the party registry. */
export type DemoAdapters = Readonly<Record<string, { url: string; token: string }>>;

interface Accepted {
  readonly events: readonly { eventId: string; eventType: string; referralId?: string }[];
}

const FHIR = 'https://passerelle.ontario.example/fhir';
const HCN = 'https://fhir.infoway-inforoute.ca/NamingSystem/ca-on-patient-hcn';

export async function runDemoScenario(adapters: DemoAdapters, log: (m: string) => void): Promise<{ accepted: number }> {
  let accepted = 0;

  async function send(to: string, path: string, body: unknown, contentType = 'application/json'): Promise<Accepted> {
    const adapter = adapters[to];
    if (!adapter) throw new Error(`demo: no adapter named ${to} was given`);
    const { url, token } = adapter;
    const response = await fetch(`${url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': contentType },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    const answer = (await response.json()) as Accepted & { title?: string; errors?: { field: string; reason: string }[] };
    if (response.status !== 202) {
      throw new Error(`demo: ${to} ${path} answered ${response.status} ${answer.title ?? ''} ${JSON.stringify(answer.errors ?? [])}`);
    }
    accepted += answer.events.length;
    return answer;
  }
  const referralIdOf = (answer: Accepted): string => answer.events[0]?.referralId ?? '';

  log('justice: a Victim/Witness Assistance Program referral to health in Toronto, a court-support referral in the North East');
  const vwap = await send('justice', '/referrals', {
    referralNumber: 'VWAP-2025-000123',
    program: 'vwap',
    caseNumber: '4811-998-25-12345',
    victim: { personId: 'JP-0045521', firstName: 'Amara', lastName: 'Example', dateOfBirth: '2001-07-14' },
    referredTo: { serviceType: 'health_provider', ministry: 'health' },
    supportNeeded: 'counselling',
    region: 'toronto',
    urgency: 'urgent',
    consent: 'standard',
    riskFactors: { youngWomen: true },
    referredAt: '2025-03-03T10:15:00-05:00',
  });
  await send('justice', '/referrals', {
    referralNumber: 'CS-2025-000077',
    program: 'court_support',
    victim: { personId: 'JP-0091377' },
    referredTo: { serviceType: 'community_agency' },
    supportNeeded: 'emergency_shelter',
    region: 'north_east',
    urgency: 'emergency',
    consent: 'aggregate_only',
    referredAt: '2025-03-04T22:40:00Z',
  });
  log('justice: a CSV batch of three referrals (North West, West, East)');
  await send(
    'justice',
    '/referrals/batch',
    [
      'referral_number,program,person_id,last_name,first_name,receiving_service_type,receiving_ministry,support_needed,region,urgency,consent,indigenous,young_women,migrant_workers,referred_at',
      'VWAP-2025-000201,vwap,JP-0050001,Example,Solène,indigenous_organization,,indigenous_services,north_west,priority,indigenous_partner_controlled,yes,yes,,2025-03-05',
      'VWAP-2025-000202,vwap,JP-0050002,Example,Minh,community_agency,,employment,west,routine,standard,,no,yes,2025-03-05T14:00:00-05:00',
      'CS-2025-000203,court_support,JP-0050003,Example,Kai,health_provider,health,addictions,east,urgent,standard,no,,,2025-03-06',
    ].join('\n'),
    'text/csv',
  );

  log('health: a FHIR ServiceRequest to the Victim/Witness Assistance Program in Central, then its Task updates');
  await send(
    'health',
    '/fhir/ServiceRequest',
    {
      resourceType: 'ServiceRequest',
      id: 'sr-20250303-0042',
      extension: [
        { url: `${FHIR}/StructureDefinition/service-region`, valueCode: 'central' },
        { url: `${FHIR}/StructureDefinition/consent-scope`, valueCode: 'standard' },
        { url: `${FHIR}/StructureDefinition/receiving-ministry`, valueCode: 'justice' },
      ],
      status: 'active',
      intent: 'order',
      priority: 'urgent',
      category: [{ coding: [{ system: `${FHIR}/CodeSystem/service-category`, code: 'legal-and-victim-witness-support' }] }],
      subject: { reference: 'Patient/p-7731', identifier: { system: HCN, value: '9876543217' } },
      performerType: { coding: [{ system: `${FHIR}/CodeSystem/receiving-service-type`, code: 'victim-witness-assistance-program' }] },
      authoredOn: '2025-03-03T14:55:00-05:00',
      reasonCode: [{ coding: [{ system: `${FHIR}/CodeSystem/at-risk-group`, code: 'mental-health-or-addictions' }] }],
    },
    'application/fhir+json',
  );
  await send(
    'health',
    '/fhir/ServiceRequest',
    {
      resourceType: 'ServiceRequest',
      id: 'sr-20250304-0007',
      status: 'active',
      intent: 'proposal',
      subject: { reference: 'Patient/p-9001' },
      extension: [{ url: `${FHIR}/StructureDefinition/service-region`, valueCode: 'north-west' }],
    },
    'application/fhir+json',
  );
  await send(
    'health',
    '/fhir/Task',
    {
      resourceType: 'Task',
      id: 'task-0042-1',
      status: 'accepted',
      intent: 'order',
      focus: { reference: 'ServiceRequest/sr-20250303-0042' },
      lastModified: '2025-03-04T09:30:00-05:00',
    },
    'application/fhir+json',
  );
  log('health: reports progress on the justice referral it received, by its Passerelle referral id');
  await send(
    'health',
    '/fhir/Task',
    {
      resourceType: 'Task',
      id: 'task-ext-0001',
      status: 'in-progress',
      intent: 'order',
      focus: { identifier: { system: `${FHIR}/NamingSystem/referral-id`, value: referralIdOf(vwap) } },
      lastModified: '2025-03-06T13:00:00-05:00',
    },
    'application/fhir+json',
  );
  log('health: a consent withdrawal (Task cancelled, reason consent-withdrawn)');
  await send(
    'health',
    '/fhir/Task',
    {
      resourceType: 'Task',
      id: 'task-0007-2',
      status: 'cancelled',
      intent: 'order',
      focus: { reference: 'ServiceRequest/sr-20250304-0007' },
      statusReason: { coding: [{ system: `${FHIR}/CodeSystem/referral-status-reason`, code: 'consent-withdrawn' }] },
      lastModified: '2025-03-08T11:00:00-05:00',
    },
    'application/fhir+json',
  );

  log("child welfare: a society's referral of a youth leaving care (North East) and a CSV export (East)");
  await send('child-welfare', '/referrals', {
    agencyCode: 'CAST',
    casReference: 'CAST-2025-005567',
    child: { childId: 'CW-778899', givenName: 'Jordan', familyName: 'Example' },
    legalStatus: 'leaving_care',
    serviceRequested: 'housing',
    receivingServiceType: 'indigenous_organization',
    region: 'north_east',
    responseTime: '7_days',
    consentScope: 'indigenous_partner_controlled',
    indigenousIdentity: true,
    referralDate: '2025-03-02',
  });
  await send(
    'child-welfare',
    '/referrals/batch',
    [
      'record_type,agency_code,cas_reference,event_date,child_id,legal_status,service_requested,receiving_service_type,receiving_ministry,region,response_time,consent_scope,indigenous_identity,young_woman,status,status_reason',
      'referral,CASO,CASO-2025-000410,2025-03-01,CW-1001,in_care,trauma_counselling,health_provider,health,east,12_hours,standard,no,yes,,',
      'referral,CASO,CASO-2025-000411,2025-03-01,CW-1002,in_community,education_support,school_board,education,east,21_days,aggregate_only,,,,',
      'status,CASO,CASO-2025-000410,2025-03-03T11:00:00-05:00,,,,,,,,,,,accepted,',
      'consent_withdrawal,CASO,CASO-2025-000411,2025-03-04,,,,,,,,,,,,',
    ].join('\n'),
    'text/csv',
  );

  log('education: a school board refers a student to a children’s aid society (Toronto) and another to a community agency (East)');
  const toSociety = await send('education', '/referrals', {
    boardNumber: 'B66052',
    boardReferralId: 'TDSB-SR-2025-0042',
    student: { oen: '123-456-789', legalFirstName: 'Noor', legalLastName: 'Example' },
    referredTo: { serviceType: 'childrens_aid_society', ministry: 'child_welfare' },
    supportNeeded: 'child_protection',
    region: 'toronto',
    urgency: 'urgent',
    consent: 'standard',
    flags: { youngWomen: true },
    referredOn: '2025-03-05T12:10:00-05:00',
  });
  await send('education', '/referrals', {
    boardNumber: 'B28010',
    boardReferralId: 'OCDSB-SR-2025-0311',
    student: { oen: '987654321' },
    referredTo: { serviceType: 'community_agency' },
    supportNeeded: 'academic_reengagement',
    region: 'east',
    urgency: 'routine',
    consent: 'aggregate_only',
    referredOn: '2025-03-07T09:00:00-05:00',
  });
  log('status changes: the society accepts the school board’s referral; justice’s court-support referral is declined');
  await send('child-welfare', '/referrals/status-changes', {
    referralId: referralIdOf(toSociety),
    status: 'accepted',
    changedAt: '2025-03-06T09:00:00-05:00',
  });
  await send('justice', '/referrals/status-changes', {
    referralNumber: 'CS-2025-000077',
    status: 'declined',
    reason: 'capacity_full',
    changedAt: '2025-03-05T08:00:00Z',
  });
  log('consent withdrawal: the VWAP referral');
  await send('justice', '/referrals/consent-withdrawals', { referralNumber: 'VWAP-2025-000123', withdrawnAt: '2025-03-10T16:20:00-05:00' });

  log('service gaps in four regions, one resolved');
  await send('justice', '/service-gaps', {
    gapReference: 'JUS-GAP-2025-014',
    observedAt: '2025-02-20T00:00:00Z',
    region: 'north_west',
    serviceCategory: 'housing',
    severity: 'critical',
    gapCode: 'no_service_in_region',
    affectedPopulations: { indigenous: true, youngWomen: true },
  });
  await send('health', '/service-gaps', {
    gapReference: 'HLT-GAP-2025-003',
    observedAt: '2025-02-25T00:00:00Z',
    region: 'west',
    serviceCategory: 'mental_health_and_addictions',
    severity: 'high',
    gapCode: 'waitlist_too_long',
  });
  await send('child-welfare', '/service-gaps', {
    gapReference: 'CW-GAP-2025-008',
    observedAt: '2025-02-27T00:00:00Z',
    region: 'north_east',
    serviceCategory: 'indigenous_led_service',
    severity: 'high',
    gapCode: 'not_culturally_appropriate',
    affectedPopulations: { indigenous: true, youthInOrLeavingCare: true },
  });
  await send('education', '/service-gaps', {
    gapReference: 'EDU-GAP-2025-001',
    observedAt: '2025-02-15T00:00:00Z',
    region: 'toronto',
    serviceCategory: 'trauma_counselling',
    severity: 'moderate',
    gapCode: 'language_not_available',
  });
  await send('education', '/service-gaps/resolutions', {
    gapReference: 'EDU-GAP-2025-001',
    resolvedAt: '2025-03-09T00:00:00Z',
    resolution: 'partnership_established',
  });

  log('milestones of initiatives in all four pillars, each from the party that leads it');
  await send('justice', '/initiative-milestones', {
    initiativeId: 'S2016-P2-03',
    status: 'reached',
    recordedAt: '2025-03-01T00:00:00Z',
    measure: { unit: 'people_trained', quantity: 240 },
  });
  await send('justice', '/initiative-milestones', { initiativeId: 'S2016-P2-04', status: 'delayed', recordedAt: '2025-03-01T00:00:00Z' });
  await send('health', '/initiative-milestones', {
    initiativeId: 'S2016-P1-05',
    status: 'started',
    recordedAt: '2025-02-01T00:00:00Z',
    measure: { unit: 'organizations_funded', quantity: 12 },
  });
  await send('child-welfare', '/initiative-milestones', {
    initiativeId: 'S2016-P1-02',
    status: 'reached',
    recordedAt: '2025-02-15T00:00:00Z',
    measure: { unit: 'protocols_adopted', quantity: 38 },
  });
  await send('education', '/initiative-milestones', { initiativeId: 'S2016-P1-03', status: 'at_risk', recordedAt: '2025-02-20T00:00:00Z' });
  await send('coordination-office', '/initiative-milestones', {
    initiativeId: 'S2016-P3-02',
    status: 'started',
    recordedAt: '2025-01-15T00:00:00Z',
    measure: { unit: 'funds_disbursed_cad', quantity: 2_500_000 },
  });
  await send('coordination-office', '/initiative-milestones', {
    initiativeId: 'S2016-P4-04',
    status: 'reached',
    recordedAt: '2025-02-28T00:00:00Z',
    measure: { unit: 'organizations_funded', quantity: 14 },
  });

  log(`${accepted} events accepted`);
  return { accepted };
}
