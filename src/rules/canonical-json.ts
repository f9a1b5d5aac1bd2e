/**
 * JSON with object keys sorted at every depth and no insignificant whitespace: two equal values
 * always give the same bytes, so a rating's hash identifies its content.
 *
 * Written out directly rather than by sorting copies and calling JSON.stringify: a rating run
 * serialises every rating (≈5 KB each), and the copies were most of its CPU time and garbage.
 * The bytes are exactly those of `JSON.stringify(sortedCopy)`, including its one quirk: keys that
 * are array indices ("0", "12") come first, in numeric order (test/unit/canonical-json.test.ts).
 */
export function canonicalJson(value: unknown): string {
  return write(value) ?? 'undefined';
}

const ARRAY_INDEX = /^(?:0|[1-9]\d*)$/;
const MAX_ARRAY_INDEX = 2 ** 32 - 2;
const isArrayIndex = (key: string) => ARRAY_INDEX.test(key) && Number(key) <= MAX_ARRAY_INDEX;

function orderedKeys(object: object): string[] {
  const indices: string[] = [];
  const names: string[] = [];
  for (const key of Object.keys(object)) (isArrayIndex(key) ? indices : names).push(key);
  indices.sort((a, b) => Number(a) - Number(b));
  names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return indices.length ? [...indices, ...names] : names;
}

function write(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? (Object.is(value, -0) ? '0' : String(value)) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      throw new TypeError('canonicalJson: a BigInt cannot be serialised');
    case 'object': {
      if (value === null) return 'null';
      if (Array.isArray(value)) return `[${value.map((item) => write(item) ?? 'null').join(',')}]`;
      const parts: string[] = [];
      for (const key of orderedKeys(value)) {
        const written = write((value as Record<string, unknown>)[key]);
        if (written !== undefined) parts.push(`${JSON.stringify(key)}:${written}`);
      }
      return `{${parts.join(',')}}`;
    }
    default:
      return undefined; // undefined, functions and symbols are left out, as JSON does
  }
}
