/**
 * Streaming readers for import files: CSV (RFC 4180: header row, quoted fields with "" escapes and
 * line breaks inside quotes, a quote elsewhere in a cell kept as written, CRLF or LF, UTF-8 with or
 * without a byte-order mark) and NDJSON (one
 * JSON object a line). Each record carries the physical line it starts on, for the report.
 */

export type ImportFormat = 'csv' | 'ndjson';

export interface RawRecord {
  line: number;
  values: Record<string, unknown>;
}

/** A record the reader could not turn into fields (bad JSON, wrong number of CSV cells). */
export interface UnreadableRecord {
  line: number;
  field: string;
  reason: string;
}

export type ReadItem = { ok: true; record: RawRecord } | { ok: false; problems: UnreadableRecord[] };

export class ImportFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImportFileError';
  }
}

/** `decided_on`, `decidedOn`, ` Decided On ` → `decidedOn`. */
export function normaliseHeader(name: string): string {
  const cleaned = name.replace(/^\uFEFF/, '').trim();
  if (!/[_\s-]/.test(cleaned)) return cleaned;
  const parts = cleaned.split(/[_\s-]+/).filter(Boolean);
  return parts.map((p, i) => (i === 0 ? p.toLowerCase() : p[0]!.toUpperCase() + p.slice(1).toLowerCase())).join('');
}

/** Splits text chunks into physical lines (LF or CRLF), numbering them from 1. */
async function* physicalLines(chunks: AsyncIterable<string>): AsyncGenerator<string> {
  let rest = '';
  let first = true;
  for await (let chunk of chunks) {
    if (first) {
      chunk = chunk.replace(/^\uFEFF/, '');
      first = false;
    }
    rest += chunk;
    let start = 0;
    for (;;) {
      const nl = rest.indexOf('\n', start);
      if (nl < 0) break;
      const end = nl > start && rest.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      yield rest.slice(start, end);
      start = nl + 1;
    }
    rest = rest.slice(start);
  }
  if (rest.length > 0) yield rest.endsWith('\r') ? rest.slice(0, -1) : rest;
}

/**
 * Reads the cells of one CSV record as its lines arrive. As RFC 4180 has it, a quote is special only
 * as the first character of a cell (the cell is quoted until a lone quote; `""` inside is a quote):
 * anywhere else it is an ordinary character, so `12" pipe` stays `12" pipe`, and an inch mark does
 * not open a quoted section that would swallow the following lines. A record goes on to the next
 * line only while a cell that opened with a quote is open.
 */
class CsvRecordReader {
  private cells: string[] = [];
  private cell = '';
  /** start: nothing read of the cell yet; plain: an unquoted cell; quoted: inside quotes; closed: after them. */
  private state: 'start' | 'plain' | 'quoted' | 'closed' = 'start';

  /** Reads one physical line (the first of the record, or one more while a quoted cell is open). */
  read(line: string): void {
    if (this.state === 'quoted') this.cell += '\n';
    else if (this.state === 'start' && this.cells.length === 0 && !line.includes('"')) {
      // The common case, a line with no quote at all: its cells are what lies between the commas.
      const cells = line.split(',');
      this.cell = cells.pop()!;
      this.cells = cells;
      this.state = 'plain';
      return;
    }
    for (let i = 0; i < line.length; i++) {
      const c = line[i]!;
      if (this.state === 'quoted') {
        if (c !== '"') this.cell += c;
        else if (line[i + 1] === '"') {
          this.cell += '"';
          i++;
        } else this.state = 'closed';
      } else if (c === ',') {
        this.cells.push(this.cell);
        this.cell = '';
        this.state = 'start';
      } else if (c === '"' && this.state === 'start') this.state = 'quoted';
      else {
        this.cell += c;
        if (this.state === 'start') this.state = 'plain';
      }
    }
  }

  /** A cell that opened with a quote is still open: the record goes on to the next line. */
  get open(): boolean {
    return this.state === 'quoted';
  }

  /** The record's cells; the reader is ready for the next record. */
  take(): string[] {
    const cells = [...this.cells, this.cell];
    this.cells = [];
    this.cell = '';
    this.state = 'start';
    return cells;
  }
}

/** Cells of one CSV record (which may span lines joined by \n). */
export function splitCsvRecord(record: string): string[] {
  const reader = new CsvRecordReader();
  record.split('\n').forEach((line) => reader.read(line));
  return reader.take();
}

async function* readCsv(chunks: AsyncIterable<string>): AsyncGenerator<ReadItem> {
  let header: string[] | null = null;
  let lineNo = 0;
  const reader = new CsvRecordReader();
  let pending = false; // a record opened by an earlier line is still being read
  let pendingLine = 0;
  let blank = true;
  for await (const line of physicalLines(chunks)) {
    lineNo++;
    if (!pending) {
      pendingLine = lineNo;
      blank = line.trim() === '';
    }
    reader.read(line);
    pending = reader.open;
    if (pending) continue; // a quoted cell runs on to the next line
    const cells = reader.take();
    if (blank) continue;
    if (!header) {
      header = cells.map(normaliseHeader);
      const seen = new Set<string>();
      for (const h of header) {
        if (h === '') throw new ImportFileError('line 1: the header has an empty column name');
        if (seen.has(h)) throw new ImportFileError(`line 1: column ${h} appears twice in the header`);
        seen.add(h);
      }
      yield { ok: true, record: { line: 0, values: { __header: header } } };
      continue;
    }
    if (cells.length !== header.length) {
      yield { ok: false, problems: [{ line: pendingLine, field: '(row)', reason: `has ${cells.length} cells; the header has ${header.length}` }] };
      continue;
    }
    const values: Record<string, unknown> = {};
    for (let i = 0; i < header.length; i++) values[header[i]!] = cells[i];
    yield { ok: true, record: { line: pendingLine, values } };
  }
  if (pending) yield { ok: false, problems: [{ line: pendingLine, field: '(row)', reason: `a quoted cell opened on this line is not closed before the end of the file (line ${lineNo})` }] };
  if (!header) throw new ImportFileError('the file is empty: a CSV import needs a header row');
}

/**
 * The fields of one NDJSON object under their camelCase names. A field given under two spellings
 * (`decidedOn` and `decided_on`) is refused, as a CSV header naming a column twice is: keeping
 * either value would be a guess.
 */
function ndjsonFields(object: Record<string, unknown>, line: number): { values: Record<string, unknown>; problems: UnreadableRecord[] } {
  const spelling = new Map<string, string>();
  const values: Record<string, unknown> = {};
  const problems: UnreadableRecord[] = [];
  for (const [key, value] of Object.entries(object)) {
    const name = normaliseHeader(key);
    const first = spelling.get(name);
    if (first !== undefined) {
      problems.push({ line, field: name, reason: `is given twice, as ${JSON.stringify(first)} and ${JSON.stringify(key)}` });
      continue;
    }
    spelling.set(name, key);
    values[name] = value;
  }
  return { values, problems };
}

async function* readNdjson(chunks: AsyncIterable<string>): AsyncGenerator<ReadItem> {
  let lineNo = 0;
  for await (const line of physicalLines(chunks)) {
    lineNo++;
    if (line.trim() === '') continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch (error) {
      yield { ok: false, problems: [{ line: lineNo, field: '(row)', reason: `is not valid JSON: ${(error as Error).message}` }] };
      continue;
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      yield { ok: false, problems: [{ line: lineNo, field: '(row)', reason: 'is not a JSON object' }] };
      continue;
    }
    const { values, problems } = ndjsonFields(parsed as Record<string, unknown>, lineNo);
    yield problems.length > 0 ? { ok: false, problems } : { ok: true, record: { line: lineNo, values } };
  }
}

/**
 * Records of an import file. For CSV, the first item is the header (`line` 0, `values.__header`),
 * so callers can check the columns before any row.
 */
export function readRecords(format: ImportFormat, chunks: AsyncIterable<string>): AsyncGenerator<ReadItem> {
  return format === 'csv' ? readCsv(chunks) : readNdjson(chunks);
}

/** A string as a one-chunk async iterable (for the GraphQL mutation and tests). */
export async function* fromString(content: string): AsyncGenerator<string> {
  const step = 1 << 16;
  for (let i = 0; i < content.length; i += step) yield content.slice(i, i + step);
}

// ---------------------------------------------------------------------------------------------
// UTF-8

/**
 * The text of a file read as bytes, decoded as UTF-8 as it streams (a byte-order mark is dropped).
 * A file in another encoding (a CSV a spreadsheet saved as GBK) would otherwise be stored garbled,
 * every byte that is not UTF-8 turned into U+FFFD; it is refused as a whole instead, naming where
 * its first invalid byte is, before any record of it is applied.
 */
export async function* decodeUtf8(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let consumed = 0; // bytes before the current chunk
  let newlines = 0; // LF bytes before the current chunk
  let carry: Uint8Array = NO_BYTES; // the end of an incomplete character, which the decoder holds until the next chunk
  for await (const chunk of chunks) {
    let text: string;
    try {
      text = decoder.decode(chunk, { stream: true });
    } catch {
      // The decoder does not say where; the held bytes start a character, so scanning from them finds it.
      const bytes = concatBytes(carry, chunk);
      const { start, end } = firstInvalidSequence(bytes) ?? { start: 0, end: 0 };
      throw notUtf8(consumed - carry.length + start, newlines + countNewlines(bytes.subarray(0, start)) + 1, `starts an invalid sequence (${hex(bytes.subarray(start, end))})`);
    }
    carry = incompleteTail(concatBytes(carry, chunk.subarray(Math.max(0, chunk.length - 3))));
    consumed += chunk.length;
    newlines += countNewlines(chunk);
    if (text) yield text;
  }
  let rest: string;
  try {
    rest = decoder.decode();
  } catch {
    throw notUtf8(consumed - carry.length, newlines + 1, `ends inside a character (${hex(carry)})`);
  }
  if (rest) yield rest;
}

/**
 * Refuses text decoded before it reached the import (the GraphQL mutation's `content`: the HTTP
 * body is decoded by the server, and a file is read by the client). Bytes that were not UTF-8 are
 * U+FFFD there, the only trace a file in another encoding leaves, so U+FFFD is refused.
 */
export function checkDecodedText(text: string): void {
  const at = text.indexOf('\uFFFD');
  if (at < 0) return;
  let line = 1;
  for (let nl = text.indexOf('\n'); nl >= 0 && nl < at; nl = text.indexOf('\n', nl + 1)) line++;
  throw new ImportFileError(
    `line ${line} contains U+FFFD (the replacement character), what bytes that are not UTF-8 become when read as UTF-8: ` +
      'the file was probably saved in another encoding (such as GBK); save it as UTF-8 and send it again',
  );
}

const NO_BYTES: Uint8Array = new Uint8Array(0);

function notUtf8(offset: number, line: number, what: string): ImportFileError {
  return new ImportFileError(
    `the file is not valid UTF-8: byte offset ${offset} (line ${line}) ${what}; ` +
      'it was probably saved in another encoding (such as GBK): save it as UTF-8 and import it again',
  );
}

/** Bytes in the UTF-8 sequence a lead byte starts; 0 for a byte no sequence starts with. */
function sequenceLength(lead: number): number {
  if (lead < 0x80) return 1;
  if (lead >= 0xc2 && lead <= 0xdf) return 2;
  if (lead >= 0xe0 && lead <= 0xef) return 3;
  if (lead >= 0xf0 && lead <= 0xf4) return 4;
  return 0;
}

/**
 * The first sequence that is not UTF-8 (by the WHATWG decoder's rules, which TextDecoder applies)
 * in `bytes`, which begin at a character boundary: from where it starts to the byte that makes it
 * invalid, inclusive (or to the end, for a character the bytes end inside); null when there is none.
 */
function firstInvalidSequence(bytes: Uint8Array): { start: number; end: number } | null {
  for (let i = 0; i < bytes.length; ) {
    const lead = bytes[i]!;
    const length = sequenceLength(lead);
    if (length === 0) return { start: i, end: i + 1 };
    // The second byte's range rules out overlong forms (E0, F0), surrogates (ED) and code points above U+10FFFF (F4).
    const low = lead === 0xe0 ? 0xa0 : lead === 0xf0 ? 0x90 : 0x80;
    const high = lead === 0xed ? 0x9f : lead === 0xf4 ? 0x8f : 0xbf;
    for (let k = 1; k < length; k++) {
      const byte = bytes[i + k];
      if (byte === undefined) return { start: i, end: bytes.length };
      if (k === 1 ? byte < low || byte > high : (byte & 0xc0) !== 0x80) return { start: i, end: i + k + 1 };
    }
    i += length;
  }
  return null;
}

/** The bytes of a character begun but not finished at the end of `bytes` (valid UTF-8 so far). */
function incompleteTail(bytes: Uint8Array): Uint8Array {
  for (let i = bytes.length - 1; i >= 0 && i >= bytes.length - 3; i--) {
    // A copy: the chunk's memory may be reused by the stream once the next chunk is read.
    if ((bytes[i]! & 0xc0) !== 0x80) return i + sequenceLength(bytes[i]!) > bytes.length ? Uint8Array.from(bytes.subarray(i)) : NO_BYTES;
  }
  return NO_BYTES;
}

function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const joined = new Uint8Array(a.length + b.length);
  joined.set(a);
  joined.set(b, a.length);
  return joined;
}

function countNewlines(bytes: Uint8Array): number {
  let n = 0;
  for (let i = bytes.indexOf(10); i >= 0; i = bytes.indexOf(10, i + 1)) n++;
  return n;
}

const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
