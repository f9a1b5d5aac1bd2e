import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { previousCalendarYear } from '../../src/rating/period.ts';
import { isIsoDate } from '../../src/rules/dates.ts';

/** The calendar as Date.UTC sees it (years below 100 read as 19xx, so they never round-trip). */
function viaDate(value: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!match) return false;
  const [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

const pad = (value: number, width: number) => String(value).padStart(width, '0');

describe('isIsoDate', () => {
  it('agrees with the Date calendar on every shape of YYYY-MM-DD, leap years included', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 0, max: 13 }), fc.integer({ min: 0, max: 32 }), (y, m, d) => {
        const value = `${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}`;
        expect(isIsoDate(value)).toBe(viaDate(value));
      }),
      { numRuns: 20_000 },
    );
    for (const [value, valid] of [
      ['2024-02-29', true], ['2025-02-29', false], ['1900-02-29', false], ['2000-02-29', true], ['2025-04-31', false],
      ['2025-12-31', true], ['2025-13-01', false], ['0099-01-01', false], ['2025-1-01', false], ['2025-01-01T00:00', false], ['', false],
    ] as const) expect(isIsoDate(value), value).toBe(valid);
  });
});

describe('previousCalendarYear', () => {
  it('is the year before the China day: at 01:00 on 1 January in Beijing (still 31 December in UTC) last year is the year just ended', () => {
    expect(previousCalendarYear(new Date('2026-12-31T17:00:00Z'))).toBe('2026');
    expect(previousCalendarYear(new Date('2026-12-31T15:59:59Z'))).toBe('2025');
  });
});
