/**
 * Streaming readers for import files: CSV (RFC 4180: header row, quoted fields with "" escapes and
 * line breaks inside quotes, CRLF or LF, UTF-8 with or without a byte-order mark) and NDJSON (one
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

export type ReadItem = { ok: true; record: RawRecord } | { ok: false; problem: UnreadableRecord };

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

const countQuotes = (s: string) => {
  let n = 0;
  for (let i = s.indexOf('"'); i >= 0; i = s.indexOf('"', i + 1)) n++;
  return n;
};

/** Cells of one CSV record (which may span lines joined by \n). */
export function splitCsvRecord(record: string): string[] {
  if (!record.includes('"')) return record.split(',');
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < record.length; i++) {
    const c = record[i]!;
    if (quoted) {
      if (c === '"') {
        if (record[i + 1] === '"') {
          cell += '"';
          i++;
        } else quoted = false;
      } else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      cells.push(cell);
      cell = '';
    } else cell += c;
  }
  cells.push(cell);
  return cells;
}

async function* readCsv(chunks: AsyncIterable<string>): AsyncGenerator<ReadItem> {
  let header: string[] | null = null;
  let lineNo = 0;
  let pending: string | null = null;
  let pendingLine = 0;
  let quotes = 0;
  for await (const line of physicalLines(chunks)) {
    lineNo++;
    if (pending === null) {
      pending = line;
      pendingLine = lineNo;
      quotes = countQuotes(line);
    } else {
      pending += `\n${line}`;
      quotes += countQuotes(line);
    }
    if (quotes % 2 === 1) continue; // a quoted field runs on to the next line
    const record = pending;
    pending = null;
    if (record.trim() === '') continue;
    const cells = splitCsvRecord(record);
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
      yield { ok: false, problem: { line: pendingLine, field: '(row)', reason: `has ${cells.length} cells; the header has ${header.length}` } };
      continue;
    }
    const values: Record<string, unknown> = {};
    for (let i = 0; i < header.length; i++) values[header[i]!] = cells[i];
    yield { ok: true, record: { line: pendingLine, values } };
  }
  if (pending !== null) yield { ok: false, problem: { line: pendingLine, field: '(row)', reason: 'a quoted field is not closed before the end of the file' } };
  if (!header) throw new ImportFileError('the file is empty: a CSV import needs a header row');
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
      yield { ok: false, problem: { line: lineNo, field: '(row)', reason: `is not valid JSON: ${(error as Error).message}` } };
      continue;
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      yield { ok: false, problem: { line: lineNo, field: '(row)', reason: 'is not a JSON object' } };
      continue;
    }
    const values: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(parsed)) values[normaliseHeader(key)] = value;
    yield { ok: true, record: { line: lineNo, values } };
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
