import { ProblemError } from '@passerelle/http';
import type { AuditOutcome, AuditReason } from '../domain/audit-chain.ts';

/** What the audit records about a refusal; the caller sees only the problem details. */
export interface RefusalRecord {
  readonly outcome: Exclude<AuditOutcome, 'allowed'>;
  readonly reason: AuditReason;
  /** Known from a verified token even when its role gives no access. */
  readonly subject?: string;
}

/**
 * A refusal whose answer and audit record differ where they must: a referral the caller may not
 * see is answered exactly like a missing one (no existence oracle), and audited as denied.
 */
export class AuditedProblem extends ProblemError {
  constructor(
    answer: ProblemError,
    readonly record: RefusalRecord,
  ) {
    super(answer.status, answer.title, { type: answer.type, detail: answer.message, errors: answer.errors, extra: { ...answer.extra } });
  }
}

export interface Decision extends RefusalRecord {
  readonly status: number;
}

/**
 * The decision an error stands for on a person-level route, or none (a 400, 429 or 5xx is no
 * decision on the data). A 401/403/404 not raised as an AuditedProblem is still recorded.
 */
export function decisionOf(error: unknown): Decision | undefined {
  if (error instanceof AuditedProblem) return { ...error.record, status: error.status };
  if (!(error instanceof ProblemError)) return undefined;
  if (error.status === 401) return { outcome: 'denied', reason: 'bad-token', status: 401 };
  if (error.status === 403) return { outcome: 'denied', reason: 'role-lacks-access', status: 403 };
  if (error.status === 404) return { outcome: 'not_found', reason: 'no-such-referral', status: 404 };
  return undefined;
}
