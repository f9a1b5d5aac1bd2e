/**
 * The unified social credit code (统一社会信用代码, GB 32100-2015): 18 characters from a
 * 31-character set, position 18 a check character over positions 1-17; positions 9-17 are the
 * organisation code (GB 11714) with its own check at position 17.
 */

const CHARSET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
const ORG_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2];
const ORG_CHARSET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';

export type CreditCodeProblem =
  | { kind: 'LENGTH'; length: number }
  | { kind: 'CHARACTER'; position: number; character: string }
  | { kind: 'CHECK_CHARACTER'; expected: string; actual: string };

export type CreditCodeResult =
  | { valid: true; code: string; organisationCodeWarning: string | null }
  | { valid: false; problem: CreditCodeProblem; message: string };

/** The check character (position 18) for the first 17 characters, which must be in the set. */
export function creditCodeCheckCharacter(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) {
    const value = CHARSET.indexOf(first17[i]!);
    if (value < 0) throw new RangeError(`character ${first17[i]} at position ${i + 1} is not in the code set`);
    sum += value * WEIGHTS[i]!;
  }
  return CHARSET[(31 - (sum % 31)) % 31]!;
}

/** GB 11714 check for positions 9-17; null when it passes, else a message (a warning, not a rejection). */
export function organisationCodeWarning(code: string): string | null {
  const body = code.slice(8, 16);
  let sum = 0;
  for (let i = 0; i < 8; i++) {
    const value = ORG_CHARSET.indexOf(body[i]!);
    if (value < 0) return `organisation code character ${body[i]} at position ${9 + i} is outside GB 11714`;
    sum += value * ORG_WEIGHTS[i]!;
  }
  const c = 11 - (sum % 11);
  const expected = c === 10 ? 'X' : c === 11 ? '0' : String(c);
  return code[16] === expected
    ? null
    : `organisation code check (GB 11714) expects ${expected} at position 17, found ${code[16]}`;
}

/**
 * Validates a unified social credit code. Input is trimmed and upper-cased first, as the codes are
 * printed upper-case on licences; anything else wrong is a rejection with the reason.
 */
export function checkCreditCode(input: string): CreditCodeResult {
  const code = input.trim().toUpperCase();
  if (code.length !== 18) {
    return {
      valid: false,
      problem: { kind: 'LENGTH', length: code.length },
      message: `a unified social credit code has 18 characters; got ${code.length}`,
    };
  }
  for (let i = 0; i < 18; i++) {
    if (!CHARSET.includes(code[i]!)) {
      return {
        valid: false,
        problem: { kind: 'CHARACTER', position: i + 1, character: code[i]! },
        message: `character ${JSON.stringify(code[i])} at position ${i + 1} is not allowed (allowed: 0-9 and A-Y without I, O, S, V, Z)`,
      };
    }
  }
  const expected = creditCodeCheckCharacter(code.slice(0, 17));
  if (code[17] !== expected) {
    return {
      valid: false,
      problem: { kind: 'CHECK_CHARACTER', expected, actual: code[17]! },
      message: `check character (position 18) should be ${expected}, found ${code[17]}`,
    };
  }
  return { valid: true, code, organisationCodeWarning: organisationCodeWarning(code) };
}

/** Completes 17 characters into a valid code (for generators and tests). */
export function withCheckCharacter(first17: string): string {
  return first17 + creditCodeCheckCharacter(first17);
}

export const CREDIT_CODE_CHARSET = CHARSET;
