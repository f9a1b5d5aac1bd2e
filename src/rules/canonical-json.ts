/**
 * JSON with object keys sorted at every depth and no insignificant whitespace: two equal values
 * always give the same bytes, so a rating's hash identifies its content.
 *
 * Written out directly rather than by sorting copies and calling JSON.stringify: a rating run
 * serialises every rating (≈5 KB each) and every evidence set, and this is one of its largest costs.
 * The bytes are exactly those of `JSON.stringify(sortedCopy)`, including its one quirk: keys that
 * are array indices ("0", "12") come first, in numeric order (test/unit/canonical-json.test.ts).
 *
 * Appends to one string (V8 joins the pieces once, at the end) instead of building arrays of parts,
 * and quotes each distinct key once: ratings and evidence repeat the same few dozen keys.
 */
export function canonicalJson(value: unknown): string {
  out = '';
  const written = write(value);
  const text = out;
  out = '';
  return written ? text : 'undefined';
}

let out = '';

const MAX_ARRAY_INDEX = 2 ** 32 - 2;
const ARRAY_INDEX = /^(?:0|[1-9]\d*)$/;
const isArrayIndex = (key: string) => {
  const first = key.charCodeAt(0);
  return first >= 48 && first <= 57 && ARRAY_INDEX.test(key) && Number(key) <= MAX_ARRAY_INDEX;
};

const quotedKeys = new Map<string, string>();
function quoted(key: string): string {
  let q = quotedKeys.get(key);
  if (q === undefined) {
    q = JSON.stringify(key);
    if (quotedKeys.size < 10_000) quotedKeys.set(key, q); // keys are a small vocabulary; never grow unbounded
  }
  return q;
}

/** Own enumerable keys in JSON.stringify's order of a key-sorted copy: array indices numerically, then the rest by UTF-16 code units. */
function orderedKeys(object: object): string[] {
  const keys = Object.keys(object);
  let indices = 0;
  for (const key of keys) if (isArrayIndex(key)) indices++;
  if (indices === 0) return keys.sort(); // the default sort compares UTF-16 code units, as < does
  const numeric = keys.filter(isArrayIndex).sort((a, b) => Number(a) - Number(b));
  return [...numeric, ...keys.filter((k) => !isArrayIndex(k)).sort()];
}

/** Appends `value`; false when JSON leaves it out (undefined, functions, symbols). */
function write(value: unknown): boolean {
  switch (typeof value) {
    case 'string':
      out += JSON.stringify(value);
      return true;
    case 'number':
      out += Number.isFinite(value) ? (Object.is(value, -0) ? '0' : String(value)) : 'null';
      return true;
    case 'boolean':
      out += value ? 'true' : 'false';
      return true;
    case 'bigint':
      throw new TypeError('canonicalJson: a BigInt cannot be serialised');
    case 'object': {
      if (value === null) {
        out += 'null';
        return true;
      }
      if (Array.isArray(value)) {
        out += '[';
        for (let i = 0; i < value.length; i++) {
          if (i > 0) out += ',';
          if (!write(value[i])) out += 'null';
        }
        out += ']';
        return true;
      }
      out += '{';
      let first = true;
      for (const key of orderedKeys(value)) {
        const item = (value as Record<string, unknown>)[key];
        const kind = typeof item;
        if (kind === 'undefined' || kind === 'function' || kind === 'symbol') continue;
        out += first ? `${quoted(key)}:` : `,${quoted(key)}:`;
        first = false;
        write(item);
      }
      out += '}';
      return true;
    }
    default:
      return false; // undefined, functions and symbols are left out, as JSON does
  }
}
