/**
 * `npm run bench` (100k enterprises × 20 records) and `npm run bench -- --quick` (one tenth).
 * Against the PostgreSQL named by DATABASE_URL: creates a scratch database next to it, drops it at
 * the end. Every figure is a ratio of two things measured side by side in this run; the table is
 * printed and written to bench/results.json with the core count and the date. See docs/PERFORMANCE.md.
 */
import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { connectDatabase } from '../src/db/connect.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { csvHeader, csvLines, generateChunks, GENERATED_KINDS } from '../src/import/generate.ts';
import { copyText, runImport } from '../src/import/importer.ts';
import { importKindSpec, type ImportKindName } from '../src/import/kinds.ts';
import { fromString } from '../src/import/read-records.ts';
import { createLogger } from '../src/logger.ts';
import { parsePeriod } from '../src/rating/period.ts';
import { RunTracker, startRatingRun } from '../src/rating/runner.ts';
import { findRun } from '../src/rating/run-store.ts';
import { loadRuleRegistry } from '../src/rules/index.ts';

const quick = process.argv.includes('--quick');
const ENTERPRISES = quick ? 10_000 : 100_000;
const RECORDS = 20;
const baseUrl = process.env.DATABASE_URL;
if (!baseUrl) {
  console.error('bench: set DATABASE_URL to a PostgreSQL server (a scratch database is created next to it and dropped afterwards)');
  process.exit(1);
}

interface Row {
  id: string;
  what: string;
  measured: string;
  ratio: number | null;
  target: string;
  met: boolean | null;
  note?: string;
}
const rows: Row[] = [];
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

const admin = async (sql: string) => {
  const c = new pg.Client({ connectionString: baseUrl });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
};
const dbName = `envcredit_bench_${randomBytes(4).toString('hex')}`;
const url = new URL(baseUrl);
url.pathname = `/${dbName}`;

let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);

await admin(`create database ${dbName}`);
const handle = await connectDatabase({ databaseUrl: url.toString(), poolSize: 4 });
try {
  await migrateToLatest(handle.db);
  const pool = handle.pool!;

  // ---- generate (not timed) -----------------------------------------------------------------
  const t0 = Date.now();
  const csv = new Map<ImportKindName, string[]>(GENERATED_KINDS.map((k) => [k, []]));
  const copy = new Map<ImportKindName, string[]>(GENERATED_KINDS.map((k) => [k, []]));
  let evidenceRows = 0;
  for (const chunk of generateChunks({ enterprises: ENTERPRISES, recordsPerEnterprise: RECORDS, seed: 20260101 })) {
    for (const kind of GENERATED_KINDS) {
      csv.get(kind)!.push(csvLines(kind, chunk[kind]));
      const spec = importKindSpec(kind);
      const lines: string[] = [];
      for (const row of chunk[kind]) {
        const p = spec.prepare(row as Record<string, unknown>);
        if (!p.ok) throw new Error(`generated ${kind} row invalid: ${JSON.stringify(p.problems)}`);
        lines.push(`${p.values.map(copyText).join('\t')}\tbench\n`);
      }
      copy.get(kind)!.push(lines.join(''));
      if (kind !== 'enterprises') evidenceRows += chunk[kind].length;
    }
  }
  console.error(`generated ${ENTERPRISES} enterprises, ${evidenceRows} evidence rows in ${seconds(Date.now() - t0)}`);

  // ---- a. import vs raw COPY -----------------------------------------------------------------
  const enterprisesReport = await runImport({ pool }, fromString(csvHeader('enterprises') + csv.get('enterprises')!.join('')), { kind: 'enterprises', format: 'csv', actor: 'bench' });
  if (enterprisesReport.rejected) throw new Error('enterprise import rejected rows');
  await pool.query('analyze');
  let copyMs = 0;
  let importMs = 0;
  for (const kind of GENERATED_KINDS.filter((k) => k !== 'enterprises')) {
    const spec = importKindSpec(kind);
    // Raw COPY of the same rows into the same table, rolled back so the import then starts equal.
    const client = await pool.connect();
    try {
      await client.query('begin');
      const s = Date.now();
      await new Promise<void>((resolve, reject) => {
        const stream = client.query(copyFrom(`copy ${spec.table} (${spec.columns.join(', ')}, recorded_by) from stdin`));
        stream.on('finish', resolve);
        stream.on('error', reject);
        for (const part of copy.get(kind)!) stream.write(part);
        stream.end();
      });
      copyMs += Date.now() - s;
      await client.query('rollback');
    } finally {
      client.release();
    }
    const s = Date.now();
    const report = await runImport({ pool }, (async function* () {
      yield csvHeader(kind);
      for (const part of csv.get(kind)!) yield part;
    })(), { kind, format: 'csv', actor: 'bench' });
    importMs += Date.now() - s;
    if (report.rejected || report.applied === 0) throw new Error(`${kind}: ${JSON.stringify(report).slice(0, 300)}`);
  }
  const importRate = evidenceRows / (importMs / 1000);
  const copyRate = evidenceRows / (copyMs / 1000);
  rows.push({
    id: 'a',
    what: `import ${evidenceRows} evidence rows (CSV → validate → COPY staging → apply) ÷ raw COPY`,
    measured: `${Math.round(importRate)} rows/s vs ${Math.round(copyRate)} rows/s`,
    ratio: importRate / copyRate,
    target: '≥ 0.5',
    met: importRate / copyRate >= 0.5,
  });
  csv.clear();
  copy.clear();
  await pool.query('vacuum analyze');

  // ---- b. full rating run vs the I/O floor ---------------------------------------------------
  const registry = loadRuleRegistry(process.env.RULES_DIR ?? './rules');
  const period = parsePeriod('2025');
  const ruleSet = registry.effectiveOn('linjiang', period.end)!;
  const tracker = new RunTracker();
  peakRss = process.memoryUsage().rss;
  const rssBefore = peakRss;
  const r0 = Date.now();
  const runId = await startRatingRun(
    { db: handle.db, rules: registry, tracker, logger: createLogger({ logLevel: 'silent' }) },
    { ruleSetId: ruleSet.id, version: ruleSet.version, period, scope: { kind: 'ALL' }, mode: 'DRAFT', actor: 'bench' },
  );
  await tracker.completion(runId);
  const runMs = Date.now() - r0;
  const run = await findRun(handle.db, runId);
  if (run?.status !== 'DRAFTED') throw new Error(`rating run ${runId} ended ${run?.status}`);
  const runPeak = peakRss;

  const f0 = Date.now();
  const client = await pool.connect();
  let ratingRows = 0;
  try {
    for (const table of ['violations', 'emission_records', 'clean_production_audits', 'information_disclosures', 'verified_complaints', 'permit_execution_reports']) {
      await new Promise<void>((resolve, reject) => {
        const stream = client.query(copyTo(`copy (select * from ${table} order by credit_code) to stdout`));
        stream.on('data', () => {});
        stream.on('end', resolve);
        stream.on('error', reject);
      });
    }
    // The same number of rating rows in: the rows this run wrote, copied into an empty table of the same shape.
    const out: Buffer[] = [];
    await new Promise<void>((resolve, reject) => {
      const stream = client.query(copyTo(`copy (select run_id, credit_code, score, level, vetoes, result, result_hash, evidence_fingerprint, evidence_known_at from ratings where run_id = ${runId}) to stdout`));
      stream.on('data', (b: Buffer) => out.push(b));
      stream.on('end', resolve);
      stream.on('error', reject);
    });
    const f1 = Date.now();
    await client.query('begin');
    await client.query('create temp table floor_ratings (like ratings including defaults) on commit drop');
    await new Promise<void>((resolve, reject) => {
      const stream = client.query(copyFrom('copy floor_ratings (run_id, credit_code, score, level, vetoes, result, result_hash, evidence_fingerprint, evidence_known_at) from stdin'));
      stream.on('finish', resolve);
      stream.on('error', reject);
      for (const b of out) stream.write(b);
      stream.end();
    });
    ratingRows = Number((await client.query('select count(*) from floor_ratings')).rows[0].count);
    await client.query('rollback');
    void f1;
  } finally {
    client.release();
  }
  const floorMs = Date.now() - f0;
  rows.push({
    id: 'b',
    what: `full rating run, ${ratingRows} enterprises × ~${RECORDS} records ÷ I/O floor (COPY out evidence + COPY in ratings)`,
    measured: `${seconds(runMs)} vs ${seconds(floorMs)}; peak RSS ${(runPeak / 2 ** 20).toFixed(0)} MiB (before ${(rssBefore / 2 ** 20).toFixed(0)} MiB)`,
    ratio: runMs / floorMs,
    target: '≤ 1.5, RSS < 512 MB',
    met: runMs / floorMs <= 1.5 && runPeak < 512 * 2 ** 20,
  });

  rows.push({ id: 'c', what: 'rule evaluation ÷ json-rules-engine on the same facts', measured: 'skipped: not built (see docs/PERFORMANCE.md)', ratio: null, target: '≥ 50', met: null });
  rows.push({ id: 'd', what: 'creditCheck over HTTP ÷ bare express route, p99', measured: 'skipped: not built (see docs/PERFORMANCE.md)', ratio: null, target: '≥ 0.6', met: null });
  rows.push({ id: 'e', what: 'creditChecks of 10,000 codes ÷ the single SQL query', measured: 'skipped: not built (see docs/PERFORMANCE.md)', ratio: null, target: '≤ 2', met: null });
} finally {
  clearInterval(sampler);
  await handle.close();
  await admin(`drop database if exists ${dbName} with (force)`);
}

const table = [
  '| | what | measured | ratio | target | met |',
  '| --- | --- | --- | --- | --- | --- |',
  ...rows.map((r) => `| ${r.id} | ${r.what} | ${r.measured} | ${r.ratio === null ? '—' : r.ratio.toFixed(2)} | ${r.target} | ${r.met === null ? '—' : r.met ? 'yes' : 'NO'} |`),
].join('\n');
console.log(table);
const results = { date: new Date().toISOString(), cores: availableParallelism(), node: process.version, quick, enterprises: ENTERPRISES, recordsPerEnterprise: RECORDS, rows };
writeFileSync(new URL('./results.json', import.meta.url), `${JSON.stringify(results, null, 2)}\n`);
