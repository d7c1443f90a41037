import { randomBytes, randomInt } from 'node:crypto';

const hex = (): string => randomBytes(3).toString('hex');
const digits = (n: number): string => Array.from({ length: n }, () => String(randomInt(10))).join('');

/**
 * Personal values, new for each test file, that a ministry's system might send in its native
 * records; the privacy canaries plant them and then search every output for each one.
 * Random, so a value found can only have come from this run.
 */
export function personalCanary() {
  return {
    familyName: `Quillfeather${hex()}`,
    givenName: `Ysolde${hex()}`,
    birthDate: `19${digits(2)}-0${randomInt(1, 10)}-1${randomInt(0, 10)}`,
    healthCard: digits(10),
    address: `${randomInt(100, 999)} Zanzibar${hex()} Lane`,
    caseNumber: `4811-${digits(3)}-25-${digits(5)}`,
    justicePersonId: `JP-${digits(7)}`,
    childId: `CW-${digits(6)}`,
    oen: digits(9),
    referralNumber: `VWAP-TRACE-${digits(6)}`,
    note: `disclosed-${hex()}-to-worker`,
    statusNote: `told-${hex()}-by-phone`,
  };
}
