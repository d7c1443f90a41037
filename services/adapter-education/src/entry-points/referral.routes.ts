import type { Router } from 'express';
import { jsonContract, parseNative, type AdapterKit } from '@passerelle/adapter';
import { schoolBoardReferralSchema } from '../domain/school-board-referral.schema.ts';
import { codedContentOf, mapSchoolBoardReferral, personOf, sourceIdOf } from '../domain/school-board-referral.mapper.ts';

const fixtures = new URL('../../fixtures/', import.meta.url);

/** The route as mounted below and as /openapi.json describes it. */
export const referralContracts = {
  referral: jsonContract({
    path: '/referrals',
    summary: 'One student-support referral from a school board',
    schema: schoolBoardReferralSchema,
    events: ['ReferralCreated'],
    examples: [new URL('school-board-referral.json', fixtures), new URL('school-board-referral-minimal.json', fixtures)],
  }),
};

/** POST /referrals: one student-support referral from a school board (JSON). */
export function mountReferralRoutes(router: Router, kit: AdapterKit): void {
  const { referral: single } = referralContracts;
  router.post(single.path, ...kit.json(single.body.mediaTypes), async (req, res) => {
    const referral = parseNative(single.body.schema, req.body);
    const ctx = kit.mappingContext();
    const source = sourceIdOf(referral);
    await kit.accept(req, res, [
      {
        sourceKey: source,
        content: codedContentOf(referral),
        build: async (ids) => {
          const person = personOf(referral);
          const referralId = await ids.idFor('referral', source);
          return [
            {
              type: 'ReferralCreated',
              payload: mapSchoolBoardReferral(
                referral,
                { referralId, subjectPseudonym: kit.pseudonymiser.person(person.system, person.id) },
                ctx,
              ),
            },
          ];
        },
      },
    ]);
  });
}
