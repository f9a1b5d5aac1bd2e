import { chinaDay } from '../china-day.ts';
import { appError } from '../errors.ts';

export interface RatingPeriod {
  label: string;
  start: string;
  end: string;
}

const pad = (n: number) => String(n).padStart(2, '0');
const lastDayOfMonth = (year: number, month: number) => new Date(Date.UTC(year, month, 0)).getUTCDate();

/**
 * Reads a period label: `2025` is the calendar year (the national measures rate the prior calendar
 * year); `2025-06` is the twelve months ending with June 2025 (provinces that rate in rolling batches).
 */
export function parsePeriod(label: string, field = 'period'): RatingPeriod {
  const year = /^(\d{4})$/.exec(label);
  if (year) {
    const y = Number(year[1]);
    if (y >= 2000 && y <= 2100) return { label, start: `${y}-01-01`, end: `${y}-12-31` };
  }
  const month = /^(\d{4})-(\d{2})$/.exec(label);
  if (month) {
    const [y, m] = [Number(month[1]), Number(month[2])];
    if (y >= 2000 && y <= 2100 && m >= 1 && m <= 12) {
      const startYear = m === 12 ? y : y - 1;
      const startMonth = m === 12 ? 1 : m + 1;
      return { label, start: `${startYear}-${pad(startMonth)}-01`, end: `${y}-${pad(m)}-${pad(lastDayOfMonth(y, m))}` };
    }
  }
  throw appError('VALIDATION_FAILED', `${field}: ${JSON.stringify(label)} is not a rating period`, {
    field,
    expected: 'YYYY (a calendar year, 2000-2100) or YYYY-MM (the 12 months ending that month)',
  });
}

/** The calendar year before today's China day: what an annual rating speaks for by default. */
export const previousCalendarYear = (today = new Date()): string => String(Number(chinaDay(today).slice(0, 4)) - 1);
