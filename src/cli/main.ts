import { writeFileSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { mintDevelopmentToken } from '../auth/jwt.ts';
import { ROLES, type Role } from '../auth/principal.ts';
import { ConfigError, loadConfig, type Config } from '../config.ts';
import { connectDatabase, connectionOptionsFrom, type DatabaseHandle } from '../db/connect.ts';
import { migrateToLatest } from '../db/migrate.ts';
import { checkCreditCode } from '../evidence/credit-code.ts';
import { DEMO_SEED } from '../demo/seed-on-start.ts';
import { isDatabaseEmpty, seedDemoCity } from '../demo/seed.ts';
import { printSchemaSdl } from '../graphql/schema.ts';
import { findEnterprise } from '../evidence/enterprise-store.ts';
import { loadEvidenceSet } from '../evidence/evidence-set.ts';
import { parsePeriod, previousCalendarYear } from '../rating/period.ts';
import { rateEnterprise, RunTracker, startRatingRun } from '../rating/runner.ts';
import { findRun, type RunScope } from '../rating/run-store.ts';
import { createLogger } from '../logger.ts';
import { checkRuleFile, explainRating, formatCaseReport, formatProblem, loadRuleRegistry, runAllCases, scanRulesDir } from '../rules/index.ts';

/** Operator commands: `envcredit <command>` (or `npm run cli -- <command>`). */

function config(): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message);
    throw error;
  }
}

function fail(message: string): never {
  console.error(`envcredit: ${message}`);
  process.exit(1);
}

async function withDatabase<T>(work: (handle: DatabaseHandle) => Promise<T>): Promise<T> {
  const handle = await connectDatabase(connectionOptionsFrom(config()));
  try {
    return await work(handle);
  } finally {
    await handle.close();
  }
}

const program = new Command('envcredit').description('envcredit operator commands').showHelpAfterError();

program
  .command('migrate')
  .description('apply pending database migrations (DATABASE_URL, or the embedded database under DATA_DIR)')
  .action(() =>
    withDatabase(async ({ db, kind }) => {
      const applied = await migrateToLatest(db);
      console.log(applied.length ? `applied on ${kind}: ${applied.join(', ')}` : `${kind} database is up to date`);
    }),
  );

program
  .command('token')
  .description('mint a development token signed with JWT_SECRET (HS256)')
  .addOption(new Option('--role <role>', 'role claim').choices(ROLES).makeOptionMandatory())
  .option('--org <org>', 'institution or bureau the caller acts for')
  .option('--credit-code <code>', 'the enterprise (required for --role enterprise)', (value) => {
    const checked = checkCreditCode(value);
    if (!checked.valid) throw new InvalidArgumentError(checked.message);
    return checked.code;
  })
  .option('--subject <sub>', 'sub claim (default dev-<role>)')
  .option('--ttl <duration>', 'lifetime such as 30m, 1h, 7d', '1h')
  .action((options: { role: Role; org?: string; creditCode?: string; subject?: string; ttl: string }) => {
    if (options.role === 'enterprise' && !options.creditCode) fail('--role enterprise needs --credit-code');
    if (!/^\d+[smhd]$/.test(options.ttl)) fail(`--ttl ${options.ttl}: expected a number followed by s, m, h or d`);
    console.log(mintDevelopmentToken(config(), options));
  });

program
  .command('seed-demo')
  .description('load the deterministic demo city (about 1,500 enterprises of Linjiang) into an empty database')
  .option('--seed <n>', 'random seed', (v) => Number.parseInt(v, 10), DEMO_SEED)
  .action((options: { seed: number }) => {
    if (config().nodeEnv === 'production') fail('seed-demo refuses to run with NODE_ENV=production');
    return withDatabase(async ({ db }) => {
      await migrateToLatest(db);
      if (!(await isDatabaseEmpty(db))) fail('the database already holds enterprises; the demo city only goes into an empty one');
      const counts = await seedDemoCity(db, { seed: options.seed });
      console.log(JSON.stringify(counts));
    });
  });

program
  .command('schema')
  .description('print the GraphQL SDL to schema/schema.graphql (or --stdout)')
  .option('--stdout', 'print instead of writing the file')
  .action((options: { stdout?: boolean }) => {
    const sdl = printSchemaSdl();
    if (options.stdout) process.stdout.write(sdl);
    else writeFileSync(new URL('../../schema/schema.graphql', import.meta.url), sdl);
  });

program
  .command('rate')
  .description('run a rating of a scope (default: all enterprises) and wait for it, with a progress bar on a terminal')
  .requiredOption('--period <p>', 'YYYY (calendar year) or YYYY-MM (12 months ending then)')
  .option('--rule-set <id>', 'rule set id', 'linjiang')
  .option('--version <v>', 'rule version (default: the one in force at the end of the period)')
  .addOption(new Option('--mode <mode>', 'DRAFT or SIMULATION').choices(['DRAFT', 'SIMULATION']).default('DRAFT'))
  .option('--region <township>', 'only this township or street')
  .option('--industry <prefix>', 'only this GB/T 4754 prefix')
  .option('--codes <list>', 'only these credit codes, comma-separated')
  .option('--by <name>', 'who starts the run (recorded)', `cli:${process.env.USER ?? 'operator'}`)
  .action((options: { period: string; ruleSet: string; version?: string; mode: 'DRAFT' | 'SIMULATION'; region?: string; industry?: string; codes?: string; by: string }) => {
    const period = parsePeriod(options.period);
    const registry = loadRuleRegistry(config().rulesDir);
    const ruleSet = options.version ? registry.get(options.ruleSet, options.version) : registry.effectiveOn(options.ruleSet, period.end);
    if (!ruleSet) fail(`no rule version ${options.ruleSet}/${options.version ?? `in force on ${period.end}`}`);
    const scope: RunScope = options.codes
      ? { kind: 'CODES', codes: options.codes.split(',').map((c) => c.trim().toUpperCase()).filter(Boolean) }
      : options.region
        ? { kind: 'REGION', region: options.region }
        : options.industry
          ? { kind: 'INDUSTRY', industry: options.industry.toUpperCase() }
          : { kind: 'ALL' };
    return withDatabase(async ({ db }) => {
      await migrateToLatest(db);
      const tracker = new RunTracker();
      const logger = createLogger({ logLevel: 'warn' });
      const runId = await startRatingRun({ db, rules: registry, tracker, logger }, { ruleSetId: ruleSet.id, version: ruleSet.version, period, scope, mode: options.mode, actor: options.by });
      const bar = process.stderr.isTTY
        ? setInterval(() => {
            const p = tracker.progressOf(runId);
            if (!p) return;
            const width = 30;
            const filled = Math.round((p.done / Math.max(p.total, 1)) * width);
            process.stderr.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${p.done}/${p.total}`);
          }, 200)
        : undefined;
      try {
        await tracker.completion(runId);
      } finally {
        if (bar) clearInterval(bar);
        if (process.stderr.isTTY) process.stderr.write('\n');
      }
      const run = (await findRun(db, runId))!;
      console.log(JSON.stringify({ run: `run:${runId}`, status: run.status, ...run.status_detail }));
      if (run.status !== 'DRAFTED') process.exitCode = 1;
    });
  });

const rules = program.command('rules').description('rule files: check, run their test cases, explain a rating');

rules
  .command('check [file]')
  .description('validate one rule file, or every file under RULES_DIR')
  .action((file?: string) => {
    const problems = file ? checkRuleFile(file).problems : scanRulesDir(config().rulesDir).problems;
    if (problems.length > 0) {
      for (const problem of problems) console.error(formatProblem(problem));
      fail(`${problems.length} problem(s)`);
    }
    const registry = file ? null : loadRuleRegistry(config().rulesDir);
    console.log(file ? `${file}: ok` : registry!.list().map((s) => `${s.id}/${s.version} ${s.contentHash}: ok`).join('\n'));
  });

rules
  .command('test')
  .description("run every rule file's own test cases")
  .action(() => {
    const report = runAllCases(loadRuleRegistry(config().rulesDir).all());
    console.log(formatCaseReport(report));
    if (report.failed > 0) process.exitCode = 1;
  });

rules
  .command('explain <credit-code>')
  .description('rate one enterprise on its current evidence and explain every point (stores nothing)')
  .option('--rule-set <id>', 'rule set id', 'linjiang')
  .option('--version <v>', 'rule version (default: the one in force at the end of the period)')
  .option('--period <p>', 'YYYY or YYYY-MM (default: the previous calendar year)')
  .action((creditCode: string, options: { ruleSet: string; version?: string; period?: string }) => {
    const checked = checkCreditCode(creditCode);
    if (!checked.valid) fail(`${creditCode}: ${checked.message}`);
    const period = parsePeriod(options.period ?? previousCalendarYear());
    const registry = loadRuleRegistry(config().rulesDir);
    const ruleSet = options.version ? registry.get(options.ruleSet, options.version) : registry.effectiveOn(options.ruleSet, period.end);
    if (!ruleSet) fail(`no rule version ${options.ruleSet}/${options.version ?? `in force on ${period.end}`}; loaded: ${registry.list().map((s) => `${s.id}/${s.version}`).join(', ')}`);
    return withDatabase(async ({ db }) => {
      if (!(await findEnterprise(db, checked.code))) fail(`enterprise ${checked.code} is not registered`);
      const { rating } = rateEnterprise(ruleSet, await loadEvidenceSet(db, checked.code), period);
      console.log(explainRating(rating, ruleSet));
    });
  });

await program.parseAsync(process.argv);
