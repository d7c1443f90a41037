import { expect } from 'vitest';
import { writeFaultRow } from './fault-table.ts';
import {
  reconcile,
  waitQuiescent,
  type FaultServices,
  type LoadGenerator,
  type Reconciliation,
  type RecoveryClock,
} from './fault-harness.ts';

/** Requests per scenario (about 1.3 events each) and their steady rate. */
export const LOAD = { requests: 1_400, ratePerSecond: 30, concurrency: 4 } as const;

/**
 * The end of every scenario: the rest of the stream, quiescence, reconciliation by eventId,
 * the row for the fault table, and the assertions every fault must pass.
 */
export async function finishScenario(
  services: FaultServices,
  load: LoadGenerator,
  clock: RecoveryClock,
  scenario: string,
  fault: string,
): Promise<Reconciliation> {
  const log = (message: string): void => console.log(`[fault ${scenario}] ${message}`);
  await load.done();
  await waitQuiescent(services, log);
  const recoverySeconds = await clock.seconds();
  const result = await reconcile(services, load, scenario, fault, recoverySeconds);
  writeFaultRow(result);
  console.log(`[fault ${scenario}] ${JSON.stringify({ ...result, rejected: result.rejected.length, retries: load.retries })}`);

  expect(result.rejected, 'every record was valid: none may be refused').toEqual([]);
  expect(result.acknowledgedNotDurable, 'a 202 was given only for what the outbox holds').toBe(0);
  expect(result.accepted).toBeGreaterThanOrEqual(1_500);
  expect(result.published, 'every accepted event is on Kafka').toBe(result.accepted);
  expect(result.recoverySeconds, 'recovered').not.toBeNaN();
  expect(result.lost, 'accepted but not applied').toBe(0);
  expect(result.applied).toBe(result.accepted);
  expect(result.duplicateDetail, 'no effect counted twice').toEqual({
    inSeveralTables: 0,
    referralMismatch: 0,
    referralRowsOver: 0,
    milestoneMismatch: 0,
  });
  expect(result.duplicated).toBe(0);
  expect(result.deadLetters, 'no valid event dead-lettered').toBe(0);
  expect(result.sealed.referrals, 'encryption on: the adapters sealed every referral created').toBeGreaterThan(0);
  expect(result.sealed.unopened, 'every sealed creation opened for the view').toBe(0);
  return result;
}
