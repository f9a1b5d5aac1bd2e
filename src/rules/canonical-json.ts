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

// ---------------------------------------------------------------------------------------------
// Writers for values whose shape is known

/**
 * Canonical JSON for one known shape. A rating run writes two large values per enterprise (the
 * rating, the evidence set); a writer built from a field table skips what `canonicalJson` has to
 * find out for every object (its keys, their order, each value's type) and writes the same bytes.
 * The field table must name every property of the type (the mapped type below makes a missing one
 * a compile error); test/unit/canonical-writers.test.ts checks the bytes against `canonicalJson`.
 */
export type JsonWriter<T> = (value: T) => string;

export const jsonString: JsonWriter<string> = (value) => JSON.stringify(value);
/** As `canonicalJson` writes numbers: non-finite as null, -0 as 0 (String(-0) is '0'). */
export const jsonNumber: JsonWriter<number> = (value) => (Number.isFinite(value) ? String(value) : 'null');
export const jsonBoolean: JsonWriter<boolean> = (value) => (value ? 'true' : 'false');

export function jsonNullable<T>(write: JsonWriter<T>): JsonWriter<T | null> {
  return (value) => (value === null ? 'null' : write(value));
}

export function jsonArray<T>(write: JsonWriter<T>): JsonWriter<readonly T[]> {
  return (values) => {
    if (values.length === 0) return '[]';
    let text = `[${write(values[0]!)}`;
    for (let i = 1; i < values.length; i++) text += `,${write(values[i]!)}`;
    return `${text}]`;
  };
}

/** Every property of T, each with its writer; optional properties are left out when undefined, as JSON does. */
export type JsonFields<T> = { [K in keyof T]-?: JsonWriter<Exclude<T[K], undefined>> };

export function jsonObject<T extends object>(fields: JsonFields<T>): JsonWriter<T> {
  const keys = Object.keys(fields).sort() as (keyof T & string)[];
  if (keys.some(isArrayIndex)) throw new TypeError('jsonObject: numeric keys are ordered differently; use canonicalJson');
  const prefixes = keys.map((key) => `${JSON.stringify(key)}:`);
  const writers = keys.map((key) => fields[key] as JsonWriter<unknown>);
  return (object) => {
    let text = '';
    for (let i = 0; i < keys.length; i++) {
      const value = object[keys[i]!];
      if (value === undefined) continue;
      text += `${text === '' ? '{' : ','}${prefixes[i]}${writers[i]!(value)}`;
    }
    return text === '' ? '{}' : `${text}}`;
  };
}

/**
 * `write`, remembering what it wrote for frozen objects. Only for shapes whose frozen values are
 * frozen all the way down (Object.isFrozen checks one level): then the same object always gives the
 * same text. The engine shares such results between ratings (an indicator no record moved).
 */
export function jsonMemoFrozen<T extends object>(write: JsonWriter<T>): JsonWriter<T> {
  const written = new WeakMap<T, string>();
  return (value) => {
    if (!Object.isFrozen(value)) return write(value);
    let text = written.get(value);
    if (text === undefined) {
      text = write(value);
      written.set(value, text);
    }
    return text;
  };
}
