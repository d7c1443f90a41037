import { auditSeal, GENESIS_HASH, type AuditHead, type AuditSeal, type AuditTrail, type StoredAuditRow } from './audit-chain.ts';

export interface ChainBreak {
  /** The first row where the chain no longer holds. */
  readonly id: number;
  readonly problem: string;
}

export interface ChainSummary {
  readonly sealed: number;
  /** Rows from before the chain began (not covered by it). */
  readonly unsealed: number;
  readonly head: AuditHead | undefined;
}

/**
 * Checks rows oldest first, one at a time, and names the first that breaks the chain: a gap in
 * ids or a prev_hash that is not the previous row's hash (a deleted row), a hash that does not
 * match the content (an edit, or a chain recomputed with another key). With a remembered head,
 * `finish` also notices a deleted tail.
 */
export class AuditChainVerifier {
  private readonly seal: AuditSeal;
  private previous: AuditHead | undefined;
  private sealed = 0;
  private unsealed = 0;
  private rememberedSeen = false;

  constructor(
    key: string,
    private readonly remembered?: AuditHead,
  ) {
    this.seal = auditSeal(key);
  }

  check(row: StoredAuditRow): ChainBreak | undefined {
    if (row.hash === null || row.prevHash === null) {
      if (this.previous === undefined && row.hash === null && row.prevHash === null) {
        this.unsealed += 1;
        return undefined;
      }
      return { id: row.id, problem: 'has no hash although rows before it are chained' };
    }
    if (this.previous === undefined) {
      if (row.prevHash !== GENESIS_HASH)
        return {
          id: row.id,
          problem: 'is the first chained row but does not start the chain: the rows before it were deleted or unsealed',
        };
    } else {
      const expected = this.previous.id + 1;
      if (row.id !== expected) {
        const missing = expected === row.id - 1 ? `row ${expected} is` : `rows ${expected} to ${row.id - 1} are`;
        return { id: row.id, problem: `follows row ${this.previous.id}: ${missing} missing` };
      }
      if (row.prevHash !== this.previous.hash) return { id: row.id, problem: `its prev_hash is not the hash of row ${this.previous.id}` };
    }
    if (this.seal(row, row.prevHash) !== row.hash)
      return { id: row.id, problem: 'its hash does not match its content (edited, or sealed without the key)' };
    if (this.remembered?.id === row.id) {
      if (this.remembered.hash !== row.hash) return { id: row.id, problem: 'differs from the remembered head' };
      this.rememberedSeen = true;
    }
    this.previous = { id: row.id, hash: row.hash };
    this.sealed += 1;
    return undefined;
  }

  /** After the last row: a remembered head that was never reached means the tail was deleted. */
  finish(): ChainBreak | undefined {
    if (this.remembered && !this.rememberedSeen) {
      const end = this.previous ? `the chain ends at row ${this.previous.id}` : 'the chain is empty';
      return { id: this.remembered.id, problem: `the remembered head is missing: ${end}, so rows were deleted from its tail` };
    }
    return undefined;
  }

  summary(): ChainSummary {
    return { sealed: this.sealed, unsealed: this.unsealed, head: this.previous };
  }
}

export interface VerificationResult {
  /** The first break, if any; the rows after it are not read. */
  readonly broken: ChainBreak | undefined;
  readonly summary: ChainSummary;
}

/** Reads the whole trail oldest first, in pages, and checks it with the key (and a remembered head). */
export async function verifyAuditTrail(
  trail: Pick<AuditTrail, 'rowsAfter'>,
  key: string,
  remembered?: AuditHead,
  pageSize = 1_000,
): Promise<VerificationResult> {
  const verifier = new AuditChainVerifier(key, remembered);
  // Below any id, so a row slipped in with a zero or negative id is read too.
  let after = Number.MIN_SAFE_INTEGER;
  for (;;) {
    const rows = await trail.rowsAfter(after, pageSize);
    for (const row of rows) {
      const broken = verifier.check(row);
      if (broken) return { broken, summary: verifier.summary() };
    }
    const last = rows[rows.length - 1];
    if (!last || rows.length < pageSize) break;
    after = last.id;
  }
  return { broken: verifier.finish(), summary: verifier.summary() };
}
