import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { generateDemoCity, type DemoTables } from '../demo/demo-city.ts';
import { deriveSeed, Rng } from '../demo/prng.ts';
import { importKindSpec, IMPORT_KINDS, type ImportKindName } from './kinds.ts';

/**
 * Import files at scale with the demo city's distributions (src/demo): enterprises are generated
 * in chunks of the demo city (one seed per chunk, so memory stays bounded at any size), and the
 * evidence of each chunk is scaled to `recordsPerEnterprise` on average by adding (or dropping)
 * emission records — the bulk of real evidence — cloned from the enterprise's own monitored series
 * into earlier periods. Same options, same files, byte for byte.
 */

export interface GenerateOptions {
  enterprises: number;
  recordsPerEnterprise: number;
  seed: number;
  /** Enterprises per demo-city chunk. */
  chunkSize?: number;
}

export type ImportRow = Record<string, unknown>;
export type GeneratedChunk = Record<ImportKindName, ImportRow[]>;

/** Enterprises first: evidence needs its enterprise registered. */
export const GENERATED_KINDS: readonly ImportKindName[] = IMPORT_KINDS.includes('enterprises')
  ? ['enterprises', ...IMPORT_KINDS.filter((k) => k !== 'enterprises')]
  : IMPORT_KINDS;

const EVIDENCE_TABLE_OF: Record<Exclude<ImportKindName, 'enterprises'>, keyof DemoTables> = {
  violations: 'violations',
  emissions: 'emission_records',
  audits: 'clean_production_audits',
  disclosures: 'information_disclosures',
  complaints: 'verified_complaints',
  'permit-reports': 'permit_execution_reports',
};

const snake = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const DAY_MS = 86_400_000;
const shiftDate = (date: string, days: number) => new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);

function toImportRow(kind: ImportKindName, row: Record<string, unknown>, sourcePrefix: string): ImportRow {
  const out: ImportRow = {};
  for (const field of importKindSpec(kind).fields) {
    const value = row[snake(field.name)];
    if (value !== undefined && value !== null) out[field.name] = value;
  }
  if (kind !== 'enterprises') out.sourceId = `${sourcePrefix}${String(row.source_id)}`;
  return out;
}

/** The generated rows, one demo-city chunk at a time. */
export function* generateChunks(options: GenerateOptions): Generator<GeneratedChunk> {
  const { enterprises, recordsPerEnterprise, seed } = options;
  const chunkSize = options.chunkSize ?? 5_000;
  if (!Number.isInteger(enterprises) || enterprises < 1) throw new RangeError(`enterprises must be a positive integer; got ${enterprises}`);
  if (!Number.isInteger(recordsPerEnterprise) || recordsPerEnterprise < 0) throw new RangeError(`records per enterprise must be a non-negative integer`);
  const seen = new Set<string>();
  let remaining = enterprises;
  for (let chunk = 0; remaining > 0; chunk++) {
    const count = Math.min(chunkSize, remaining);
    const city = generateDemoCity({ seed: deriveSeed(seed, chunk), enterprises: count });
    const t = city.tables;
    // Codes are random; a code drawn twice across chunks keeps its first enterprise only.
    const fresh = new Set(t.enterprises.map((e) => e.credit_code).filter((c) => !seen.has(c)));
    for (const c of fresh) seen.add(c);
    remaining -= fresh.size;
    const prefix = enterprises > chunkSize ? `c${chunk}/` : '';
    const result = { enterprises: [] } as unknown as GeneratedChunk;
    const latest = new Map<string, Record<string, unknown>>();
    for (const r of t.enterprise_revisions) if (fresh.has(r.credit_code)) latest.set(r.credit_code, r as never);
    result.enterprises = [...latest.values()].map((r) => ({ ...toImportRow('enterprises', r, ''), source: 'generator', sourceId: `enterprise/${String(r.credit_code)}` }));

    let evidence = 0;
    for (const kind of GENERATED_KINDS) {
      if (kind === 'enterprises') continue;
      const rows = (t[EVIDENCE_TABLE_OF[kind]] as unknown as Record<string, unknown>[]).filter((r) => fresh.has(r.credit_code as string));
      result[kind] = rows.map((r) => toImportRow(kind, r, prefix));
      evidence += rows.length;
    }
    const target = fresh.size * recordsPerEnterprise;
    const emissions = result.emissions;
    if (evidence > target) {
      // Drop emissions (every k-th) until the target is met; other kinds are kept whole.
      const drop = Math.min(emissions.length, evidence - target);
      const keepEvery = emissions.length / Math.max(1, emissions.length - drop);
      const kept: ImportRow[] = [];
      for (let i = 0; i < emissions.length - drop; i++) kept.push(emissions[Math.floor(i * keepEvery)]!);
      result.emissions = kept;
    } else if (evidence < target && emissions.length > 0) {
      const rng = new Rng(deriveSeed(seed, chunk, 99));
      const base = emissions.slice();
      const registeredOn = registrationDays(latest);
      // Copies move a month back per round; one that would end before its enterprise was registered
      // is skipped (the import refuses such evidence), and another base row pads instead.
      const maxAttempts = (target - evidence) * 4 + base.length * 4;
      for (let i = 0, added = 0; added < target - evidence && i < maxAttempts; i++) {
        const from = base[i % base.length]!;
        const round = Math.floor(i / base.length) + 1;
        const days = -round * 30;
        const value = Number(from.measuredValue) * (0.6 + 0.6 * rng.next());
        const periodEnd = shiftDate(String(from.periodEnd), days);
        const registered = registeredOn.get(String(from.creditCode));
        if (registered !== undefined && periodEnd < registered) continue;
        emissions.push({
          ...from,
          sourceId: `${String(from.sourceId)}#g${round}`,
          periodStart: shiftDate(String(from.periodStart), days),
          periodEnd,
          measuredValue: String(Math.round(value * 10) / 10),
        });
        added++;
      }
    }
    yield result;
  }
}

/** Each enterprise's registration day (YYYY-MM-DD), where the generated revision has one. */
function registrationDays(revisions: ReadonlyMap<string, Record<string, unknown>>): Map<string, string> {
  const days = new Map<string, string>();
  for (const [code, revision] of revisions) {
    if (revision.registered_on !== null && revision.registered_on !== undefined) days.set(code, String(revision.registered_on));
  }
  return days;
}

// ---------------------------------------------------------------------------------------------
// CSV

const csvCell = (value: unknown): string => {
  if (value === undefined || value === null) return '';
  const text = Array.isArray(value) ? value.join('|') : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
};

export function csvHeader(kind: ImportKindName): string {
  return `${importKindSpec(kind).fields.map((f) => f.name).join(',')}\n`;
}

export function csvLines(kind: ImportKindName, rows: readonly ImportRow[]): string {
  const names = importKindSpec(kind).fields.map((f) => f.name);
  let out = '';
  for (const row of rows) out += `${names.map((n) => csvCell(row[n])).join(',')}\n`;
  return out;
}

/** Writes `<dir>/<kind>.csv` for every kind; returns the data rows per file. */
export async function writeImportFiles(dir: string, options: GenerateOptions, onChunk?: (done: number) => void): Promise<Record<ImportKindName, number>> {
  mkdirSync(dir, { recursive: true });
  const streams = new Map<ImportKindName, WriteStream>();
  const counts = Object.fromEntries(GENERATED_KINDS.map((k) => [k, 0])) as Record<ImportKindName, number>;
  for (const kind of GENERATED_KINDS) {
    const stream = createWriteStream(join(dir, `${kind}.csv`));
    stream.write(csvHeader(kind));
    streams.set(kind, stream);
  }
  let done = 0;
  for (const chunk of generateChunks(options)) {
    for (const kind of GENERATED_KINDS) {
      counts[kind] += chunk[kind].length;
      if (!streams.get(kind)!.write(csvLines(kind, chunk[kind]))) await once(streams.get(kind)!, 'drain');
    }
    done += chunk.enterprises.length;
    onChunk?.(done);
  }
  await Promise.all([...streams.values()].map((s) => new Promise((resolve) => s.end(resolve))));
  return counts;
}
