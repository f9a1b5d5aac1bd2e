import { appError } from '../errors.ts';
import { isIsoDate as isCalendarDate } from '../rules/dates.ts';
import { checkCreditCode } from './credit-code.ts';

export interface Problem {
  field: string;
  message: string;
  expected?: string;
}

/**
 * Collects every problem in one input so a clerk fixes a record in one pass; `done()` throws
 * VALIDATION_FAILED naming the first field and listing all of them.
 */
/** The earliest date of a record kept here: the environmental protection law (trial) of 1979. */
export const EARLIEST_RECORD_DATE = '1979-01-01';


/** The largest amount of money a record holds: numeric(14,2), as the fine_cny column. */
export const MAX_AMOUNT = 999_999_999_999.99;

/**
 * Decimals of a number as written in its shortest round-trip form (595014822.69 → 2, 1e-7 → 7).
 * Counted on the decimal text, not as `value * 100` is an integer: in binary floating point that
 * product is off by more than any tolerance once cents are above about 10^8.
 */
export function decimalPlaces(value: number): number {
  const [mantissa = '', exponent = '0'] = String(value).toLowerCase().split('e');
  const fraction = mantissa.split('.')[1]?.length ?? 0;
  return Math.max(0, fraction - Number(exponent));
}

export class InputCheck {
  readonly problems: Problem[] = [];
  /** `today` (YYYY-MM-DD, the China day: see chinaDay): when given, dates of things that happened may not be later. */
  constructor(
    private readonly prefix: string,
    private readonly today?: string,
  ) {}

  field(name: string): string {
    return this.prefix ? `${this.prefix}.${name}` : name;
  }

  require(ok: boolean, name: string, message: string, expected?: string): this {
    if (!ok) this.problems.push({ field: this.field(name), message, ...(expected ? { expected } : {}) });
    return this;
  }

  text(value: string | null | undefined, name: string, { min = 1, max = 500 } = {}): this {
    if (value === null || value === undefined) return this;
    const length = value.trim().length;
    return this.require(length >= min && value.length <= max, name, `must have ${min} to ${max} characters`, `text of ${min}-${max} characters`);
  }

  date(value: string | null | undefined, name: string): this {
    if (value === null || value === undefined) return this;
    return this.require(isCalendarDate(value), name, `is not a calendar date: ${value}`, 'YYYY-MM-DD');
  }

  /**
   * A date something happened on (a decision, a measurement, an audit): not before `earliest`, and not
   * after today when the check knows today. A date far off is a typing error, and a future one would
   * count in ratings of periods that have not come.
   */
  happened(value: string | null | undefined, name: string, earliest = EARLIEST_RECORD_DATE): this {
    if (!value || !isCalendarDate(value)) return this;
    const expected = `a date from ${earliest} to ${this.today ?? 'today'}`;
    if (value < earliest) return this.require(false, name, `${value} is before ${earliest}`, expected);
    return this.require(!this.today || value <= this.today, name, `${value} is after today (${this.today}): a record states what has happened`, expected);
  }

  notBefore(later: string | null | undefined, earlier: string | null | undefined, name: string, earlierName: string): this {
    if (!later || !earlier) return this;
    return this.require(later >= earlier, name, `must not be before ${this.field(earlierName)} (${earlier})`);
  }

  /**
   * A sum of money: the default bound is the most a numeric(14,2) column holds, so an amount the
   * database would refuse (and fail a whole import with) is refused here, naming the field.
   */
  amount(value: number | null | undefined, name: string, { max = MAX_AMOUNT, decimals = 2 } = {}): this {
    if (value === null || value === undefined) return this;
    return this.require(
      Number.isFinite(value) && value >= 0 && value <= max && decimalPlaces(value) <= decimals,
      name,
      `must be a non-negative amount with at most ${decimals} decimals, up to ${max}`,
      `an amount from 0 to ${max} with at most ${decimals} decimals`,
    );
  }

  done(): void {
    const first = this.problems[0];
    if (!first) return;
    const message =
      this.problems.length === 1
        ? `${first.field}: ${first.message}`
        : `${this.problems.length} problems: ${this.problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`;
    throw appError('VALIDATION_FAILED', message, {
      field: first.field,
      ...(first.expected ? { expected: first.expected } : {}),
      problems: this.problems,
    });
  }
}

/** Normalises a credit code or throws INVALID_CREDIT_CODE naming the field and the code. */
export function requireCreditCode(value: string, field: string): string {
  const result = checkCreditCode(value);
  if (!result.valid) {
    throw appError('INVALID_CREDIT_CODE', `${field}: ${JSON.stringify(value)} is not a valid unified social credit code: ${result.message}`, {
      field,
      value,
      expected: '18 characters from 0-9 A-H J-N P-R T-U W-Y with a correct check character (GB 32100-2015)',
    });
  }
  return result.code;
}
