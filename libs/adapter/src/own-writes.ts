import type { TopicOwner } from '@passerelle/contracts';
import { problems } from '@passerelle/http';
import type { CanonicalEvent } from './canonical-event.ts';

/**
 * Refuses (403) what an adapter can know is not its ministry's to write, before anything reaches
 * the outbox: an event in another ministry's name, or a referral created in the name of another
 * referring ministry (only the referring ministry creates a referral, on its own topic). The
 * mappers give neither today; this keeps a mapping change from publishing one, which the
 * projector would dead-letter. A status change or consent withdrawal about a referral another
 * ministry made passes: the adapter cannot know whether its ministry receives that referral (only
 * the referral's creation, on the referring ministry's topic, says), so the projector decides and
 * flags a non-party's write `not_a_party`. One about a referral of its own is its own.
 */
export function refuseWhatIsNotOurs(event: CanonicalEvent, ministry: TopicOwner): void {
  if (event.payload.envelope.sourceMinistry !== ministry) {
    throw problems.forbidden(`this adapter writes as ${ministry} only, not as ${event.payload.envelope.sourceMinistry}`);
  }
  if (event.type === 'ReferralCreated' && event.payload.referringMinistry !== ministry) {
    throw problems.forbidden(
      `only the referring ministry creates a referral: this adapter creates referrals of ${ministry}, not of ${event.payload.referringMinistry}`,
    );
  }
}
