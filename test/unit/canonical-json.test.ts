import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/rules/canonical-json.ts';

/** The definition the writer must match byte for byte: sorted copies, then JSON.stringify. */
function reference(value: unknown): string {
  const sortKeys = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sortKeys);
    if (v !== null && typeof v === 'object') {
      const entries = Object.entries(v as Record<string, unknown>)
        .filter(([, x]) => x !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      return Object.fromEntries(entries.map(([k, x]) => [k, sortKeys(x)]));
    }
    if (typeof v === 'number' && Object.is(v, -0)) return 0;
    return v;
  };
  return JSON.stringify(sortKeys(value));
}

describe('canonical JSON', () => {
  it('sorts keys at every depth, integer-like keys first as JSON.stringify orders them', () => {
    const value = { b: 1, a: { z: [3, { y: 1, x: 2 }], '10': 'ten', '2': 'two', '-1': 'minus', '01': 'zero-one' } };
    expect(canonicalJson(value)).toBe('{"a":{"2":"two","10":"ten","-1":"minus","01":"zero-one","z":[3,{"x":2,"y":1}]},"b":1}');
    expect(canonicalJson(value)).toBe(reference(value));
  });

  it('treats -0, NaN, Infinity, undefined and functions as JSON does', () => {
    const value = { a: -0, b: Number.NaN, c: Number.POSITIVE_INFINITY, d: undefined, e: () => 1, f: [undefined, () => 1, -0] };
    expect(canonicalJson(value)).toBe(reference(value));
  });

  it('gives the same bytes as sorted copies + JSON.stringify for any JSON-like value (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(canonicalJson(value)).toBe(reference(value));
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.object({ maxDepth: 4, withNullPrototype: false }), (value) => {
        expect(canonicalJson(value)).toBe(reference(value));
      }),
      { numRuns: 500 },
    );
  });
});
