/**
 * RecordNameStrategy: the subject of an event schema is its fully-qualified record name
 * (`ca.on.passerelle.v1.ReferralCreated`), whatever topic carries it. One topic carries several
 * event types (a referrals topic holds ReferralCreated, ReferralStatusChanged and
 * ConsentWithdrawn), and the same type travels on every ministry's topic, so one subject per
 * record keeps one compatibility history per contract.
 *
 * `prefix` isolates a set of subjects in a shared registry (tests use a unique prefix per run).
 */
export function subjectOf(recordName: string, prefix = ''): string {
  return `${prefix}${recordName}`;
}
