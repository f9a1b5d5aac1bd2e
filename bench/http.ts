/**
 * Rows d and e of the bench: `creditCheck` / `creditChecks` over HTTP against the real service
 * (startService, in this process, on the bench's pool) beside a bare express route and a single SQL
 * query reading the same rows. Load comes from autocannon in a forked child (bench/load.ts).
 */
import { fork } from 'node:child_process';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { sql } from 'kysely';
import { mintDevelopmentToken } from '../src/auth/jwt.ts';
import { loadConfig } from '../src/config.ts';
import type { DatabaseHandle } from '../src/db/connect.ts';
import { enterpriseNames } from '../src/lookups/check.ts';
import { effectiveRatingsAt } from '../src/rating/effect-store.ts';
import { registerStandingAt } from '../src/registers/standing.ts';
import type { RuleRegistry } from '../src/rules/index.ts';
import { startService } from '../src/service.ts';

export interface LoadResult {
  requestsPerSecond: number;
  total: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  timeouts: number;
}

interface LoadGenerator {
  run(url: string, headers: Record<string, string>, bodies: string[], connections: number, durationSeconds: number): Promise<LoadResult>;
  stop(): void;
}

/** One forked autocannon process for every load of a measurement (a fork with tsx costs about a second). */
function startLoadGenerator(): LoadGenerator {
  const child = fork(new URL('./load.ts', import.meta.url), [], { stdio: 'inherit' });
  let waiting: { resolve: (r: LoadResult) => void; reject: (e: Error) => void } | undefined;
  const settle = () => {
    const current = waiting;
    waiting = undefined;
    return current;
  };
  child.on('message', (m) => {
    const answer = m as LoadResult | { error: string };
    if ('error' in answer) settle()?.reject(new Error(`load generator: ${answer.error}`));
    else settle()?.resolve(answer);
  });
  child.on('error', (error) => settle()?.reject(error));
  child.on('exit', (code) => settle()?.reject(new Error(`load generator exited ${code} without a result`)));
  return {
    run(url, headers, bodies, connections, durationSeconds) {
      if (waiting) return Promise.reject(new Error('load generator busy: one load at a time'));
      return new Promise((resolve, reject) => {
        waiting = { resolve, reject };
        child.send({ url, headers, bodies, connections, durationSeconds });
      });
    },
    stop() {
      if (child.connected) child.disconnect();
    },
  };
}

const CHECK_QUERY = 'query($c: String!) { creditCheck(creditCode: $c, purpose: LOAN) { creditCode enterpriseName rated level score blacklisted leader verdict reasons { code } } }';
const CHECKS_QUERY = 'query($c: [String!]!) { creditChecks(creditCodes: $c, purpose: LOAN) { creditCode enterpriseName rated level score blacklisted leader verdict reasons { code } } }';

/** Rounds of equal length as one: requests per second over all of them, the median round's latencies. */
function combineRounds(rounds: LoadResult[]): LoadResult {
  const median = (pick: (r: LoadResult) => number) => rounds.map(pick).sort((a, b) => a - b)[Math.floor(rounds.length / 2)]!;
  const sum = (pick: (r: LoadResult) => number) => rounds.reduce((total, r) => total + pick(r), 0);
  return {
    requestsPerSecond: sum((r) => r.requestsPerSecond) / rounds.length,
    total: sum((r) => r.total),
    p50: median((r) => r.p50),
    p99: median((r) => r.p99),
    non2xx: sum((r) => r.non2xx),
    errors: sum((r) => r.errors),
    timeouts: sum((r) => r.timeouts),
  };
}

export interface HttpRows {
  /** Each side's rounds combined, and service ÷ bare per round (in the order run). */
  d: { service: LoadResult; bare: LoadResult; roundRatios: number[] };
  e: { httpMs: number; sqlMs: number; codes: number; rows: number };
}

export async function measureHttp(options: { handle: DatabaseHandle; databaseUrl: string; rules: RuleRegistry; codes: string[]; rounds: number; durationSeconds: number; connections: number }): Promise<HttpRows> {
  const { handle, codes } = options;
  const config = loadConfig({
    NODE_ENV: 'production',
    PORT: '0',
    LOG_LEVEL: 'silent',
    DATABASE_URL: options.databaseUrl,
    JWT_SECRET: 'bench-secret-that-is-long-enough-for-hs256-0123456789',
    SEED_DEMO: 'false',
    // Throughput is measured, not the per-token limiter (600/min by default would cap it at 10 req/s).
    RATE_LIMIT_PER_MINUTE: '0',
    RATE_LIMIT_ANONYMOUS_PER_MINUTE: '0',
  });
  const service = await startService({ config, database: handle, rules: options.rules });
  const token = mintDevelopmentToken(config, { role: 'bureau_officer', subject: 'bench' });
  const auth = { authorization: `Bearer ${token}` };

  // The bare route: express + the same three queries creditCheck runs (ratings, register standing, name), same pool.
  const bareApp = express();
  bareApp.use(express.json());
  bareApp.post('/check', async (req, res) => {
    const code = String(req.body.creditCode);
    const asOf = new Date();
    const [ratings, standings, names] = await Promise.all([
      effectiveRatingsAt(handle.db, [code], asOf),
      registerStandingAt(handle.db, [code], asOf),
      enterpriseNames(handle.db, [code]),
    ]);
    const rating = ratings.get(code);
    const standing = standings.get(code)!;
    res.json({ creditCode: code, enterpriseName: names.get(code) ?? null, level: rating?.level ?? null, score: rating ? Number(rating.score) : null, blacklisted: standing.blacklisted, leader: standing.leader });
  });
  const bare = await new Promise<Server>((resolve) => {
    const s = bareApp.listen(0, '127.0.0.1', () => resolve(s));
  });
  const bareUrl = `http://127.0.0.1:${(bare.address() as AddressInfo).port}/check`;
  const graphqlUrl = `http://127.0.0.1:${service.port}/graphql`;

  const generator = startLoadGenerator();
  const load = generator.run;
  try {
    // Sanity: both answer, and the service's answer is a real rated check.
    const probe = await fetch(graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json', ...auth }, body: JSON.stringify({ query: CHECK_QUERY, variables: { c: codes[0] } }) });
    const probeBody = (await probe.json()) as { data?: { creditCheck?: { rated: boolean } }; errors?: unknown };
    if (!probeBody.data?.creditCheck?.rated) throw new Error(`creditCheck probe failed: ${JSON.stringify(probeBody).slice(0, 400)}`);

    const sample = codes.slice(0, 1000);
    const gqlBodies = sample.map((c) => JSON.stringify({ query: CHECK_QUERY, variables: { c } }));
    const bareBodies = sample.map((c) => JSON.stringify({ creditCode: c }));
    // Warm-up of each (JIT, pool connections, plan cache), then the measured runs. 3 s, not 1: after
    // 1 s the service was still compiling its longer path through its first measured seconds (0.62–0.64
    // against 0.70–0.72 after 3 s, alternating on the same data; docs/PERFORMANCE.md, row d).
    await load(graphqlUrl, auth, gqlBodies, options.connections, 3);
    await load(bareUrl, {}, bareBodies, options.connections, 3);
    // Alternating rounds, so a slow spell of this shared machine falls on both sides rather than on one.
    const serviceRounds: LoadResult[] = [];
    const bareRounds: LoadResult[] = [];
    for (let round = 0; round < options.rounds; round += 1) {
      serviceRounds.push(await load(graphqlUrl, auth, gqlBodies, options.connections, options.durationSeconds));
      bareRounds.push(await load(bareUrl, {}, bareBodies, options.connections, options.durationSeconds));
    }
    for (const [name, rounds] of [['service', serviceRounds], ['bare', bareRounds]] as const) {
      for (const r of rounds) {
        if (r.non2xx || r.errors || r.timeouts) throw new Error(`${name}: ${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts`);
      }
    }

    // e. creditChecks of 10,000 codes vs one SQL query fetching the same rows.
    const batch = codes.slice(0, 10_000);
    const body = JSON.stringify({ query: CHECKS_QUERY, variables: { c: batch } });
    const httpOnce = async () => {
      const s = performance.now();
      const response = await fetch(graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json', ...auth }, body });
      const json = (await response.json()) as { data?: { creditChecks?: unknown[] }; errors?: unknown };
      const ms = performance.now() - s;
      if (json.data?.creditChecks?.length !== batch.length) throw new Error(`creditChecks failed: ${JSON.stringify(json).slice(0, 400)}`);
      return ms;
    };
    let rows = 0;
    const sqlOnce = async () => {
      const s = performance.now();
      const result = await sql`
        with wanted as (select distinct unnest(${batch}::text[])::char(18) as code)
        select w.code, e.name, eff.*,
          (select json_agg(b order by b.effective_from, b.id) from blacklist_events b where b.credit_code = w.code and b.effective_from <= ${new Date()}) as blacklist,
          (select json_agg(l order by l.effective_from, l.id) from leader_events l where l.credit_code = w.code and l.effective_from <= ${new Date()}) as leader
        from wanted w
        left join enterprise_current e on e.credit_code = w.code
        left join lateral (
          select r.*, f.id as effect_id, f.effective_from, f.cause, f.trigger_evidence,
            (select min(n.effective_from) from rating_effects n where n.credit_code = f.credit_code and n.effective_from > f.effective_from) as effective_to,
            run.rule_set_id, run.rule_version, run.rule_hash, run.period
          from rating_effects f join ratings r on r.id = f.rating_id join rating_runs run on run.id = r.run_id
          where f.credit_code = w.code and f.effective_from <= ${new Date()}
          order by f.effective_from desc, f.id desc limit 1) eff on true`.execute(handle.db);
      rows = result.rows.length;
      return performance.now() - s;
    };
    await httpOnce();
    await sqlOnce();
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const httpTimes: number[] = [];
    const sqlTimes: number[] = [];
    for (let i = 0; i < 3; i++) {
      httpTimes.push(await httpOnce());
      sqlTimes.push(await sqlOnce());
    }
    return { d: { service: combineRounds(serviceRounds), bare: combineRounds(bareRounds), roundRatios: serviceRounds.map((r, i) => r.requestsPerSecond / bareRounds[i]!.requestsPerSecond) }, e: { httpMs: median(httpTimes), sqlMs: median(sqlTimes), codes: batch.length, rows } };
  } finally {
    generator.stop();
    await new Promise<void>((resolve) => bare.close(() => resolve()));
    await service.stop();
  }
}
