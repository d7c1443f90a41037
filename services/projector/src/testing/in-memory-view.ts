import { applyEvents } from '../domain/apply-events.ts';
import type { RecordKeyer } from '../domain/record-key.ts';
import type { SubjectKeyReader } from '../domain/subject-opening.ts';
import { ViewState } from '../data-access/view-state.ts';
import type { InitiativeRow } from '@passerelle/coordination-view';
import type { AcceptedEvent } from '../domain/view-model.ts';
import { testRecordKeys } from './record-keys.ts';

/**
 * The production in-memory view (ViewState) with a test's way in: `apply` delivers one batch as
 * one transaction of the real `applyEvents`. Unit tests deliver events to it in any order; the
 * end-to-end test uses it as the expected view. Keyed with the test secret unless told otherwise,
 * as the harness's projectors are.
 */
export class InMemoryView extends ViewState {
  constructor(catalogue: readonly InitiativeRow[], recordKeyOf: RecordKeyer = testRecordKeys, subjectKeys?: SubjectKeyReader) {
    super(catalogue, recordKeyOf, subjectKeys);
  }

  async apply(events: readonly AcceptedEvent[], now = 0): Promise<{ applied: number; duplicates: number }> {
    const result = await applyEvents(this, events, [], now);
    return { applied: result.applied.length, duplicates: result.duplicates.length };
  }
}
