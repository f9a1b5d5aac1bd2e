import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CREDIT_CODE_CHARSET,
  checkCreditCode,
  creditCodeCheckCharacter,
  withCheckCharacter,
} from '../../src/evidence/credit-code.ts';

const PUBLISHED_VALID = ['91310110666007217T', '91330100799655058B', '91440300708461136T', '914403001922038216', '91440101MA5CJQ4N59'];

describe('unified social credit code', () => {
  it.each(PUBLISHED_VALID)('accepts the real code %s with no organisation-code warning', (code) => {
    expect(checkCreditCode(code)).toEqual({ valid: true, code, organisationCodeWarning: null });
  });

  it('normalises case and surrounding spaces', () => {
    expect(checkCreditCode(' 91310110666007217t ')).toMatchObject({ valid: true, code: '91310110666007217T' });
  });

  it('rejects a wrong check character and says which one is expected', () => {
    const result = checkCreditCode('91310110666007217A');
    expect(result).toMatchObject({ valid: false, problem: { kind: 'CHECK_CHARACTER', expected: 'T', actual: 'A' } });
  });

  it('rejects the wrong length', () => {
    expect(checkCreditCode('9131011066600721')).toMatchObject({ valid: false, problem: { kind: 'LENGTH', length: 16 } });
  });

  it.each(['I', 'O', 'S', 'V', 'Z', '-'])('rejects the excluded character %s with its position', (ch) => {
    const code = `9131${ch}110666007217T`;
    expect(checkCreditCode(code)).toMatchObject({ valid: false, problem: { kind: 'CHARACTER', position: 5, character: ch } });
  });

  it('warns (does not reject) when only the GB 11714 organisation check fails', () => {
    const first17 = '91220681MA0000001'; // organisation part deliberately off
    const code = withCheckCharacter(first17);
    const result = checkCreditCode(code);
    expect(result.valid).toBe(true);
    if (result.valid) expect(result.organisationCodeWarning).toMatch(/position 17/);
  });

  it('every single-character substitution of a valid code is caught', () => {
    const code = PUBLISHED_VALID[0]!;
    for (let pos = 0; pos < 18; pos++) {
      for (const ch of CREDIT_CODE_CHARSET) {
        if (ch === code[pos]) continue;
        const mutated = code.slice(0, pos) + ch + code.slice(pos + 1);
        expect(checkCreditCode(mutated).valid, mutated).toBe(false);
      }
    }
  });

  it('a generated code always validates (property)', () => {
    const char = fc.constantFrom(...CREDIT_CODE_CHARSET.split(''));
    fc.assert(
      fc.property(fc.array(char, { minLength: 17, maxLength: 17 }), (chars) => {
        const code = withCheckCharacter(chars.join(''));
        expect(checkCreditCode(code).valid).toBe(true);
        expect(code[17]).toBe(creditCodeCheckCharacter(chars.join('')));
      }),
    );
  });
});
