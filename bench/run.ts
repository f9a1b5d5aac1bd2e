/**
 * `npm run bench` (100k enterprises × 20 records) and `npm run bench -- --quick` (one tenth).
 * Against the PostgreSQL named by DATABASE_URL: creates a scratch database next to it, drops it at
 * the end. Every figure is a ratio of two things measured side by side in this run; the table is
 * printed and written to bench/results.json with the core count and the date. See docs/PERFORMANCE.md.
 */
import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { connectDatabase } from '../src/db/connect.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { csvHeader, csvLines, generateChunks, GENERATED_KINDS } from '../src/import/generate.ts';
import { copyText } from '../src/db/copy-text.ts';
import { runImport } from '../src/import/importer.ts';
import { importKindSpec, type ImportKindName } from '../src/import/kinds.ts';
import { fromString } from '../src/import/read-records.ts';
import { parsePeriod } from '../src/rating/period.ts';
import { findRun } from '../src/rating/run-store.ts';
import { evaluate, loadEvidenceSets, loadRuleRegistry, type EvidenceSet } from '../src/rules/index.ts';
import { measureHttp } from './http.ts';
import { jreModel, SUBSET_INDICATORS, subsetRuleSet } from './jre-model.ts';
import { startCpuSpan, type CpuSpan } from './cpu.ts';

const quick = process.argv.includes('--quick');
/** `--profile-run FILE`: a V8 CPU profile of the rating run (row b) alone, for chrome://inspect or speedscope. */
const profileArg = process.argv.indexOf('--profile-run');
const profileFile = profileArg > 0 ? process.argv[profileArg + 1] : undefined;
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
  /** Row b: processor time of the run and of the floor (bench/cpu.ts). */
  cpu?: Record<string, number | undefined>;
}
const rows: Row[] = [];
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
/** Wall clock per part of the bench, printed to stderr and kept in results.json. */
const phases: Record<string, number> = {};
let phaseStart = Date.now();
const phase = (name: string) => {
  phases[name] = Date.now() - phaseStart;
  console.error(`bench: ${name} took ${seconds(phases[name]!)}`);
  phaseStart = Date.now();
};

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

/**
 * Row b's CPU accounting: the run's processor time (its process, and the whole machine: the process
 * plus PostgreSQL) against the floor's. The machine's CPU over its cores is the shortest the run could
 * take here however its work were spread, so `cannot end before` bounds what any change to the run's
 * parallelism alone could reach on this machine.
 */
function cpuNote(processCpuMs: number, machineCpuMs: number | undefined, floorMs: number, floorMachineCpuMs: number | undefined): string {
  if (machineCpuMs === undefined) return `CPU: the run's process ${seconds(processCpuMs)} (machine CPU not readable here)`;
  const cores = availableParallelism();
  const boundMs = machineCpuMs / cores;
  return `CPU: the run's process ${seconds(processCpuMs)}, the whole machine ${seconds(machineCpuMs)} over the run (the floor: ${seconds(floorMachineCpuMs ?? 0)}); spread perfectly over ${cores} cores the run's work cannot end before ${seconds(boundMs)}, ratio ${(boundMs / floorMs).toFixed(2)}`;
}

/** Runs bench/rating-run.ts in a child process and returns what it reports. */
async function runInChild(databaseUrl: string, profile: string | undefined, ratingWorkers = 0): Promise<{ runId: number; runMs: number; maxRssBytes: number } & CpuSpan> {
  const script = new URL('./rating-run.ts', import.meta.url).pathname;
  const args = ['--import', 'tsx', script, ...(profile ? ['--profile-run', profile] : [])];
  const env = { ...process.env, DATABASE_URL: databaseUrl, RATING_WORKERS: String(ratingWorkers) };
  const { stdout } = await promisify(execFile)(process.execPath, args, { env, maxBuffer: 1 << 20 });
  return JSON.parse(stdout.trim().split('\n').at(-1)!);
}

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
  phase('generate');

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
  phase('a');

  // ---- b. full rating run vs the I/O floor ---------------------------------------------------
  const registry = loadRuleRegistry(process.env.RULES_DIR ?? './rules');
  const period = parsePeriod('2025');
  const ruleSet = registry.effectiveOn('linjiang', period.end)!;
  // The run executes in a process of its own (bench/rating-run.ts), as `envcredit rate` or the service
  // would, so its peak RSS is the run's, not this process's with row a's generated data in it.
  const { runId, runMs, maxRssBytes: runPeak, processCpuMs: runProcessCpuMs, machineCpuMs: runMachineCpuMs } = await runInChild(url.toString(), profileFile);
  if (profileFile) console.error(`bench: CPU profile of the rating run written to ${profileFile}`);
  const drafted = await pool.query<{ detail: { timings?: Record<string, number>; inputFingerprint?: string } }>(
    `select detail from rating_run_events where run_id = $1 and status = 'DRAFTED'`, [runId]);
  const runTimings = drafted.rows[0]?.detail.timings;
  const digest = await pool.query<{ d: string }>(`select md5(string_agg(credit_code || ':' || result_hash, ',' order by credit_code)) as d from ratings where run_id = $1`, [runId]);
  console.error(`bench: rating run timings ${JSON.stringify(runTimings)}; input ${drafted.rows[0]?.detail.inputFingerprint}; md5 of all result hashes ${digest.rows[0]?.d}`);
  const run = await findRun(handle.db, runId);
  if (run?.status !== 'DRAFTED') throw new Error(`rating run ${runId} ended ${run?.status}`);

  const client = await pool.connect();
  let ratingRows = 0;
  let f0 = 0;
  let endFloorCpu = startCpuSpan();
  try {
    // The same number of rating rows in: the rows this run wrote, fetched before the clock starts (the floor
    // is evidence out + ratings in; reading the ratings back is not part of it), copied into an empty table
    // of the same shape.
    const out: Buffer[] = [];
    await new Promise<void>((resolve, reject) => {
      const stream = client.query(copyTo(`copy (select run_id, credit_code, score, level, vetoes, result, result_hash, evidence_fingerprint, evidence_known_at from ratings where run_id = ${runId}) to stdout`));
      stream.on('data', (b: Buffer) => out.push(b));
      stream.on('end', resolve);
      stream.on('error', reject);
    });
    f0 = Date.now();
    endFloorCpu = startCpuSpan();
    for (const table of ['violations', 'emission_records', 'clean_production_audits', 'information_disclosures', 'verified_complaints', 'permit_execution_reports']) {
      await new Promise<void>((resolve, reject) => {
        const stream = client.query(copyTo(`copy (select * from ${table} order by credit_code) to stdout`));
        stream.on('data', () => {});
        stream.on('end', resolve);
        stream.on('error', reject);
      });
    }
    await client.query('begin');
    await client.query('create temp table floor_ratings (like ratings including defaults including compression) on commit drop');
    await new Promise<void>((resolve, reject) => {
      const stream = client.query(copyFrom('copy floor_ratings (run_id, credit_code, score, level, vetoes, result, result_hash, evidence_fingerprint, evidence_known_at) from stdin'));
      stream.on('finish', resolve);
      stream.on('error', reject);
      for (const b of out) stream.write(b);
      stream.end();
    });
    ratingRows = Number((await client.query('select count(*) from floor_ratings')).rows[0].count);
    await client.query('rollback');
  } finally {
    client.release();
  }
  const floorMs = Date.now() - f0;
  const floorMachineCpuMs = endFloorCpu().machineCpuMs;
  // The same run with one rating worker thread (RATING_WORKERS=1), for the trade-off in docs/PERFORMANCE.md.
  const withWorker = await runInChild(url.toString(), undefined, 1);
  const workerDrafted = await pool.query<{ detail: { timings?: Record<string, number>; inputFingerprint?: string } }>(
    `select detail from rating_run_events where run_id = $1 and status = 'DRAFTED'`, [withWorker.runId]);
  if (workerDrafted.rows[0]?.detail.inputFingerprint !== drafted.rows[0]?.detail.inputFingerprint) throw new Error('row b: the run with a worker thread has another input fingerprint');
  rows.push({
    id: 'b',
    what: `full rating run, ${ratingRows} enterprises × ~${RECORDS} records ÷ I/O floor (COPY out evidence + COPY in ratings)`,
    measured: `${seconds(runMs)} vs ${seconds(floorMs)}; peak RSS of the run's process ${(runPeak / 2 ** 20).toFixed(0)} MiB`,
    ratio: runMs / floorMs,
    target: '≤ 1.5, RSS < 512 MB',
    met: runMs / floorMs <= 1.5 && runPeak < 512 * 2 ** 20,
    note: `run timings (ms): ${JSON.stringify(runTimings)}; ${cpuNote(runProcessCpuMs, runMachineCpuMs, floorMs, floorMachineCpuMs)}; with RATING_WORKERS=1: ${seconds(withWorker.runMs)} (ratio ${(withWorker.runMs / floorMs).toFixed(2)}), peak RSS ${(withWorker.maxRssBytes / 2 ** 20).toFixed(0)} MiB, timings ${JSON.stringify(workerDrafted.rows[0]?.detail.timings)}`,
    cpu: { cores: availableParallelism(), runProcessCpuMs, runMachineCpuMs, floorMachineCpuMs, workerRunProcessCpuMs: withWorker.processCpuMs, workerRunMachineCpuMs: withWorker.machineCpuMs },
  });

  phase('b');

  // ---- c. rule evaluation alone vs json-rules-engine -----------------------------------------
  // The same subset of indicators on both sides (bench/jre-model.ts), over evidence sets already in memory.
  const sampleCodes = (await pool.query<{ credit_code: string }>('select credit_code from enterprises order by credit_code limit $1', [quick ? 2000 : 5000])).rows.map((r) => r.credit_code.trim());
  const sets = [...(await loadEvidenceSets(handle.db, sampleCodes)).values()];
  const subset = subsetRuleSet(ruleSet);
  const evalOptions = { period: { start: period.start, end: period.end }, asOf: period.end };
  const jre = jreModel(evalOptions.period, evalOptions.asOf);
  // Both sides must agree on every enterprise's score and vetoes, or the comparison is void.
  let mismatches = 0;
  for (const set of sets) {
    const a = evaluate(subset, set, evalOptions);
    const b = await jre.rate(set);
    const vetoesA = [...new Set(a.vetoes.map((v) => v.id))].sort();
    if (a.score !== b.score || vetoesA.join() !== b.vetoes.join()) {
      if (mismatches++ < 3) console.error(`row c mismatch ${set.creditCode}: evaluate ${a.score} ${vetoesA} vs json-rules-engine ${b.score} ${b.vetoes}`);
    }
  }
  if (mismatches) throw new Error(`row c: the json-rules-engine model disagrees with evaluate on ${mismatches} of ${sets.length} enterprises`);
  // Alternating rounds, median per side: the machine is noisy and GC from earlier rows lands anywhere.
  // Each side works through the sets in chunks of 100, in rotation, until the round's time is up.
  const chunks: EvidenceSet[][] = [];
  for (let i = 0; i < sets.length; i += 100) chunks.push(sets.slice(i, i + 100));
  const passRate = async (pass: (chunk: EvidenceSet[]) => Promise<void> | void, minMs: number) => {
    let n = 0;
    let next = 0;
    const s = performance.now();
    do {
      const chunk = chunks[next++ % chunks.length]!;
      await pass(chunk);
      n += chunk.length;
    } while (performance.now() - s < minMs);
    return n / ((performance.now() - s) / 1000);
  };
  const evaluatePass = (chunk: EvidenceSet[]) => {
    for (const set of chunk) evaluate(subset, set, evalOptions);
  };
  const jrePass = async (chunk: EvidenceSet[]) => {
    for (const set of chunk) await jre.rate(set);
  };
  const medianOf = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const engineRates: number[] = [];
  const jreRates: number[] = [];
  for (let round = 0; round < 5; round++) {
    engineRates.push(await passRate(evaluatePass, quick ? 400 : 1000));
    jreRates.push(await passRate(jrePass, quick ? 600 : 1500));
  }
  const engineRate = medianOf(engineRates);
  const jreRate = medianOf(jreRates);
  const fullRate = await passRate((chunk) => {
    for (const set of chunk) evaluate(ruleSet, set, evalOptions);
  }, quick ? 1000 : 3000);
  const evidenceRecords = sets.reduce((n, s) => n + s.violations.length + s.emissions.length, 0);
  rows.push({
    id: 'c',
    what: `rule evaluation, ${sets.length} enterprises (${evidenceRecords} violation + emission records), ${SUBSET_INDICATORS.length} per-record indicators + 13 vetoes: evaluate ÷ json-rules-engine`,
    measured: `${Math.round(engineRate)} vs ${Math.round(jreRate)} enterprises/s, median of 5 alternating rounds (full linjiang set: ${Math.round(fullRate)}/s); scores and vetoes agree on all ${sets.length}`,
    ratio: engineRate / jreRate,
    target: '≥ 50',
    met: engineRate / jreRate >= 50,
  });

  phase('c');

  // ---- d, e. creditCheck / creditChecks over HTTP ---------------------------------------------
  // Make the drafted run's ratings effective (the publication step's insert, without the publicity period).
  await pool.query(`insert into rating_effects (credit_code, rating_id, effective_from, cause, decided_by)
    select credit_code, id, now() - interval '1 day', 'PUBLICATION', 'bench' from ratings where run_id = $1`, [runId]);
  await pool.query('analyze');
  const ratedCodes = (await pool.query<{ credit_code: string }>('select credit_code from ratings where run_id = $1 order by md5(credit_code) limit 10000', [runId])).rows.map((r) => r.credit_code.trim());
  const http = await measureHttp({ handle, databaseUrl: url.toString(), rules: registry, codes: ratedCodes, rounds: 3, durationSeconds: quick ? 3 : 6, connections: 10 });
  const { service, bare, roundRatios } = http.d;
  rows.push({
    id: 'd',
    what: `creditCheck over HTTP (GraphQL, bureau token, autocannon 10 connections) ÷ bare express route running the same 3 queries, same process and pool; ${roundRatios.length} alternating rounds of ${quick ? 3 : 6} s per side`,
    measured: `${Math.round(service.requestsPerSecond)} vs ${Math.round(bare.requestsPerSecond)} req/s; p99 ${service.p99} ms vs ${bare.p99} ms (median round); per round ${roundRatios.map((r) => r.toFixed(2)).join(', ')}`,
    ratio: service.requestsPerSecond / bare.requestsPerSecond,
    target: '≥ 0.6',
    met: service.requestsPerSecond / bare.requestsPerSecond >= 0.6,
  });
  rows.push({
    id: 'e',
    what: `creditChecks of ${http.e.codes} codes over HTTP ÷ the single SQL query fetching the same rows (median of 3)`,
    measured: `${Math.round(http.e.httpMs)} ms vs ${Math.round(http.e.sqlMs)} ms (${http.e.rows} rows)`,
    ratio: http.e.httpMs / http.e.sqlMs,
    target: '≤ 2',
    met: http.e.httpMs / http.e.sqlMs <= 2,
  });
  phase('d+e');
} finally {
  await handle.close();
  await admin(`drop database if exists ${dbName} with (force)`);
}

const table = [
  '| | what | measured | ratio | target | met |',
  '| --- | --- | --- | --- | --- | --- |',
  ...rows.map((r) => `| ${r.id} | ${r.what} | ${r.measured} | ${r.ratio === null ? '—' : r.ratio.toFixed(2)} | ${r.target} | ${r.met === null ? '—' : r.met ? 'yes' : 'NO'} |`),
].join('\n');
console.log(table);
for (const row of rows) if (row.note) console.log(`${row.id}: ${row.note}`);
const results = { date: new Date().toISOString(), cores: availableParallelism(), node: process.version, quick, enterprises: ENTERPRISES, recordsPerEnterprise: RECORDS, phasesMs: phases, rows };
writeFileSync(new URL('./results.json', import.meta.url), `${JSON.stringify(results, null, 2)}\n`);
