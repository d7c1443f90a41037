import type { Router } from 'express';
import { parseNative, type AdapterKit } from '@passerelle/adapter';
import { schoolBoardReferralSchema } from '../domain/school-board-referral.schema.ts';
import { codedContentOf, mapSchoolBoardReferral, personOf, sourceIdOf } from '../domain/school-board-referral.mapper.ts';

/** POST /referrals: one student-support referral from a school board (JSON). */
export function mountReferralRoutes(router: Router, kit: AdapterKit): void {
  router.post('/referrals', ...kit.json(), async (req, res) => {
    const referral = parseNative(schoolBoardReferralSchema, req.body);
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
