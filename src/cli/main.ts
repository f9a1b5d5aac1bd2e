import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GraphQLError } from 'graphql';
import { Command, InvalidArgumentError, Option } from 'commander';
import { mintDevelopmentToken } from '../auth/jwt.ts';
import { isInstitutionRole, ROLES, type Role } from '../auth/principal.ts';
import { ConfigError, loadConfig, type Config } from '../config.ts';
import { connectDatabase, connectionOptionsFrom, type DatabaseHandle } from '../db/connect.ts';
import { migrateAndGrant, migrateToLatest } from '../db/migrate.ts';
import { createEvaluator } from '../rating/evaluation-pool.ts';
import { grantAppRole } from '../db/grants.ts';
import { checkCreditCode } from '../evidence/credit-code.ts';
import { DEMO_SEED, publishDemoRating } from '../demo/seed-on-start.ts';
import { isDatabaseEmpty, seedDemoCity } from '../demo/seed.ts';
import { printSchemaSdl } from '../graphql/schema.ts';
import { findEnterprise } from '../evidence/enterprise-store.ts';
import { currentEvidenceSet } from '../registers/standing.ts';
import { parsePeriod, previousCalendarYear } from '../rating/period.ts';
import { rateEnterprise, RunTracker, startRatingRun } from '../rating/runner.ts';
import { findRun, type RunScope } from '../rating/run-store.ts';
import { createLogger } from '../logger.ts';
import { importFileAndAdjust, loadGenerated, progressBar } from '../import/cli.ts';
import { writeImportFiles } from '../import/generate.ts';
import { IMPORT_KINDS, type ImportKindName } from '../import/kinds.ts';
import { ImportFileError, type ImportFormat } from '../import/read-records.ts';
import { formatVerifyResult, verifyAuditChain } from '../audit/chain.ts';
import { checkRuleFile, explainRating, formatCaseReport, formatProblem, loadRuleRegistry, runAllCases, scanRulesDir, type RuleRegistry } from '../rules/index.ts';

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

/** The service's own refusals (a draft of a period not ended, a rule version not in force, …) carry a code. */
const isRefusal = (error: unknown): error is GraphQLError => error instanceof GraphQLError && typeof error.extensions.code === 'string';

function refusalMessage(refused: GraphQLError): string {
  const { code, field, expected } = refused.extensions as { code: string; field?: string; expected?: string };
  return `${refused.message} [${code}${field ? `, ${field}` : ''}${expected ? `, expected ${expected}` : ''}]`;
}

async function withDatabase<T>(work: (handle: DatabaseHandle) => Promise<T>): Promise<T> {
  const handle = await connectDatabase(connectionOptionsFrom(config()));
  let refused: GraphQLError | undefined;
  try {
    return await work(handle);
  } catch (error) {
    // Refusals are the operator's to read, not stack traces; they are printed once the database is closed.
    if (!isRefusal(error)) throw error;
    refused = error;
  } finally {
    await handle.close();
  }
  return fail(refusalMessage(refused));
}

/** Commander parser for a whole number of at least `min`: "abc" is a usage error, not NaN passed on. */
const wholeNumber = (min: number) => (value: string): number => {
  if (!/^\d+$/.test(value.trim()) || Number(value) < min || !Number.isSafeInteger(Number(value))) {
    throw new InvalidArgumentError(`expected a whole number${min > 0 ? ` of at least ${min}` : ''}`);
  }
  return Number(value);
};

/** Commander parser for a rating period: a mistake is a usage error before anything is loaded. */
function periodLabel(value: string): string {
  try {
    return parsePeriod(value).label;
  } catch (error) {
    if (isRefusal(error)) throw new InvalidArgumentError(error.message);
    throw error;
  }
}

/** Commander parser for --codes: every code checked, the bad ones named, as the API's creditChecks does. */
function creditCodeList(value: string): string[] {
  const inputs = value.split(',').map((c) => c.trim()).filter(Boolean);
  if (inputs.length === 0) throw new InvalidArgumentError('expected one or more credit codes, comma-separated');
  const codes: string[] = [];
  const refused: string[] = [];
  for (const input of inputs) {
    const checked = checkCreditCode(input);
    if (checked.valid) codes.push(checked.code);
    else refused.push(`${input}: ${checked.message}`);
  }
  if (refused.length > 0) throw new InvalidArgumentError(refused.join('; '));
  return codes;
}

const program = new Command('envcredit').description('envcredit operator commands').showHelpAfterError();

program
  .command('migrate')
  .description('apply pending database migrations (DATABASE_URL, or the embedded database under DATA_DIR)')
  .action(() =>
    withDatabase(async ({ db, kind }) => {
      // The embedded database has one user and no roles to grant to.
      const { applied, granted } = await migrateAndGrant(db, kind === 'postgres' ? config().databaseAppRole : undefined);
      console.log(applied.length ? `applied on ${kind}: ${applied.join(', ')}` : `${kind} database is up to date`);
      if (granted) console.log(`granted ${granted.role}: read-and-append on ${granted.historyTables.length} history tables`);
    }).catch((error: Error) => fail(error.message)),
  );

program
  .command('token')
  .description('mint a development token signed with JWT_SECRET (HS256)')
  .addOption(new Option('--role <role>', 'role claim').choices(ROLES).makeOptionMandatory())
  .option('--org <org>', 'institution or bureau the caller acts for (required for bank, insurer, finance)')
  .option('--credit-code <code>', 'the enterprise (required for --role enterprise)', (value) => {
    const checked = checkCreditCode(value);
    if (!checked.valid) throw new InvalidArgumentError(checked.message);
    return checked.code;
  })
  .option('--subject <sub>', 'sub claim (default dev-<role>)')
  .option('--ttl <duration>', 'lifetime such as 30m, 1h, 24h (at most 24h)', '1h')
  .action((options: { role: Role; org?: string; creditCode?: string; subject?: string; ttl: string }) => {
    // Whoever can run the CLI next to a production secret could otherwise mint any role it likes.
    if (config().nodeEnv === 'production') fail('token refuses to run with NODE_ENV=production; production tokens come from the identity provider');
    if (options.role === 'enterprise' && !options.creditCode) fail('--role enterprise needs --credit-code');
    if (isInstitutionRole(options.role) && !options.org) fail(`--role ${options.role} needs --org (the institution it acts for; tokens without one are refused)`);
    checkDevelopmentTtl(options.ttl);
    console.log(mintDevelopmentToken(config(), options));
  });

/** The longest a development token may live: there is no revocation, so a leaked one must expire soon. */
const MAX_DEVELOPMENT_TTL_SECONDS = 24 * 3600;
const TTL_UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

function checkDevelopmentTtl(ttl: string): void {
  const match = /^(\d+)([smhd])$/.exec(ttl);
  if (!match) fail(`--ttl ${ttl}: expected a number followed by s, m, h or d`);
  const seconds = Number(match[1]) * TTL_UNIT_SECONDS[match[2]!]!;
  if (seconds === 0) fail(`--ttl ${ttl}: a token must live a moment at least`);
  if (seconds > MAX_DEVELOPMENT_TTL_SECONDS) fail(`--ttl ${ttl}: development tokens live at most 24h (there is no revocation list)`);
}

program
  .command('seed-demo')
  .description('load the deterministic demo city (about 1,500 enterprises of Linjiang) into an empty database, rated and published')
  .option('--seed <n>', 'random seed', wholeNumber(0), DEMO_SEED)
  .option('--no-rating', 'only the evidence, no published rating')
  .action((options: { seed: number; rating: boolean }) => {
    if (config().nodeEnv === 'production') fail('seed-demo refuses to run with NODE_ENV=production');
    return withDatabase(async ({ db }) => {
      await migrateToLatest(db);
      if (!(await isDatabaseEmpty(db))) fail('the database already holds enterprises; the demo city only goes into an empty one');
      const counts = await seedDemoCity(db, { seed: options.seed });
      console.log(JSON.stringify(counts));
      if (options.rating) await publishDemoRating(db, createLogger({ logLevel: 'info' }), loadRuleRegistry(config().rulesDir), config().defaultRuleSetId);
    });
  });

/** schema/schema.graphql at the repository root, whether this runs from src/cli (tsx) or dist/src/cli (built, Docker). */
function schemaFile(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const roots = [join(here, '../..'), join(here, '../../..')];
  const root = roots.find((candidate) => existsSync(join(candidate, 'package.json'))) ?? roots[0]!;
  return join(root, 'schema', 'schema.graphql');
}

program
  .command('schema')
  .description('print the GraphQL SDL to schema/schema.graphql (or --stdout)')
  .option('--stdout', 'print instead of writing the file')
  .action((options: { stdout?: boolean }) => {
    const sdl = printSchemaSdl();
    if (options.stdout) process.stdout.write(sdl);
    else writeFileSync(schemaFile(), sdl);
  });

program
  .command('rate')
  .description('run a rating of a scope (default: all enterprises) and wait for it, with a progress bar on a terminal')
  .requiredOption('--period <p>', 'YYYY (calendar year) or YYYY-MM (12 months ending then)', periodLabel)
  .option('--rule-set <id>', 'rule set id', 'linjiang')
  .option('--version <v>', 'rule version (default: the one in force at the end of the period)')
  .addOption(new Option('--mode <mode>', 'DRAFT or SIMULATION').choices(['DRAFT', 'SIMULATION']).default('DRAFT'))
  // One scope at a time: combined, all but one would be silently ignored.
  .addOption(new Option('--region <township>', 'only this township or street').conflicts(['industry', 'codes']))
  .addOption(new Option('--industry <prefix>', 'only this GB/T 4754 prefix').conflicts('codes'))
  .addOption(new Option('--codes <list>', 'only these credit codes, comma-separated').argParser(creditCodeList))
  .option('--by <name>', 'who starts the run (recorded)', `cli:${process.env.USER ?? 'operator'}`)
  .action((options: { period: string; ruleSet: string; version?: string; mode: 'DRAFT' | 'SIMULATION'; region?: string; industry?: string; codes?: string[]; by: string }) => {
    const period = parsePeriod(options.period);
    const registry = loadRuleRegistry(config().rulesDir);
    const ruleSet = options.version ? registry.get(options.ruleSet, options.version) : registry.effectiveOn(options.ruleSet, period.end);
    if (!ruleSet) fail(`no rule version ${options.ruleSet}/${options.version ?? `in force on ${period.end}`}`);
    const scope: RunScope = options.codes
      ? { kind: 'CODES', codes: options.codes }
      : options.region
        ? { kind: 'REGION', region: options.region }
        : options.industry
          ? { kind: 'INDUSTRY', industry: options.industry.toUpperCase() }
          : { kind: 'ALL' };
    return withDatabase(async ({ db, pool }) => {
      await migrateToLatest(db);
      const tracker = new RunTracker({ pool, evaluator: createEvaluator(config().ratingWorkers) });
      // Ctrl-C or a SIGTERM ends the run at its next batch, recorded as FAILED, instead of leaving it RUNNING.
      for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void tracker.stopAll());
      const logger = createLogger({ logLevel: 'warn' }, { toStderr: true });
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
        await tracker.completion(runId).catch(() => {}); // a failed run is reported below from its FAILED event
      } finally {
        if (bar) clearInterval(bar);
        if (process.stderr.isTTY) process.stderr.write('\n');
        await tracker.close();
      }
      const run = (await findRun(db, runId))!;
      console.log(JSON.stringify({ run: `run:${runId}`, status: run.status, ...run.status_detail }));
      if (run.status !== 'DRAFTED') process.exitCode = 1;
    });
  });

program
  .command('import <file>')
  .description('import a CSV or NDJSON file of one kind in one transaction (see docs/IMPORT.md); prints the report as JSON')
  .addOption(new Option('--kind <kind>', 'what the file holds').choices(IMPORT_KINDS).makeOptionMandatory())
  .addOption(new Option('--format <format>', 'file format (default: from the extension, .ndjson/.jsonl = ndjson)').choices(['csv', 'ndjson']))
  .option('--dry-run', 'validate and report; write nothing')
  .option('--by <name>', 'who is recorded as having recorded the rows', `import:${process.env.USER ?? 'operator'}`)
  .action((file: string, options: { kind: ImportKindName; format?: ImportFormat; dryRun?: boolean; by: string }) => {
    const format: ImportFormat = options.format ?? (/\.(ndjson|jsonl)$/i.test(file) ? 'ndjson' : 'csv');
    return withDatabase(async (handle) => {
      await migrateToLatest(handle.db);
      // Violations that hit a veto re-rate their enterprise once the import has committed, as
      // recordViolation does; adjustments an import that died left pending are made first.
      let ruleRegistry: RuleRegistry | undefined; // loaded only when there are adjustments to make
      const { report, pending } = await importFileAndAdjust(
        handle,
        file,
        { kind: options.kind, format, dryRun: Boolean(options.dryRun), actor: options.by, progress: process.stderr.isTTY },
        {
          adjustAs: `dynamic-adjustment (imported by ${options.by})`,
          services: () => ({
            db: handle.db,
            rules: (ruleRegistry ??= loadRuleRegistry(config().rulesDir)),
            defaultRuleSetId: config().defaultRuleSetId,
            logger: createLogger({ logLevel: 'warn' }, { toStderr: true }),
            now: new Date(),
            appliedBy: `envcredit import (${options.by})`,
          }),
        },
      );
      console.log(JSON.stringify(report, null, 2));
      if (pending) console.error(`envcredit: ${pending.message}`);
      if (report.rejected > 0 || pending) process.exitCode = pending ? 1 : 2;
    }).catch((error) => {
      if (error instanceof ImportFileError) fail(`${file}: ${error.message}`);
      throw error;
    });
  });

program
  .command('generate')
  .description("generate import files (or load them) with the demo city's distributions, for benchmarks")
  .requiredOption('--enterprises <n>', 'enterprises', wholeNumber(1))
  .option('--records-per-enterprise <m>', 'evidence records per enterprise on average', wholeNumber(0), 20)
  .option('--seed <s>', 'random seed', wholeNumber(0), DEMO_SEED)
  .option('--out <dir>', 'write <dir>/<kind>.csv')
  .option('--load', 'import into the database (DATABASE_URL or DATA_DIR) instead of writing files')
  .action(async (options: { enterprises: number; recordsPerEnterprise: number; seed: number; out?: string; load?: boolean }) => {
    if (Boolean(options.out) === Boolean(options.load)) fail('give exactly one of --out DIR and --load');
    const generate = { enterprises: options.enterprises, recordsPerEnterprise: options.recordsPerEnterprise, seed: options.seed };
    const tick = (done: number) => {
      if (process.stderr.isTTY) process.stderr.write(`\r${progressBar(done, options.enterprises)} enterprises`);
    };
    if (options.out) {
      const counts = await writeImportFiles(options.out, generate, tick);
      if (process.stderr.isTTY) process.stderr.write('\n');
      console.log(JSON.stringify(counts));
      return;
    }
    if (config().nodeEnv === 'production') fail('generate --load refuses to run with NODE_ENV=production');
    await withDatabase(async (handle) => {
      await migrateToLatest(handle.db);
      const counts = await loadGenerated(handle, generate, tick);
      if (process.stderr.isTTY) process.stderr.write('\n');
      console.log(JSON.stringify(counts));
    });
  });

const dbCommand = program.command('db').description('database administration (run as the owner of the schema)');

dbCommand
  .command('grant-app-role')
  .description("grant the application's own role what it needs and no more: SELECT/INSERT on history tables (no UPDATE, DELETE, TRUNCATE); run after every migration")
  .requiredOption('--role <name>', 'the role the service connects as')
  .option('--create', 'create the role (NOLOGIN) if it does not exist')
  .action((options: { role: string; create?: boolean }) =>
    withDatabase(async ({ db, kind }) => {
      await migrateToLatest(db);
      const report = await grantAppRole(db, options.role, { create: Boolean(options.create) });
      console.log(JSON.stringify({ database: kind, ...report }, null, 2));
    }).catch((error: Error) => fail(error.message)),
  );

const audit = program.command('audit').description('the hash-chained audit log');

audit
  .command('verify')
  .description('walk the audit chain; print "N rows, chain intact" or the first broken row (exit code 3)')
  .action(() =>
    withDatabase(async ({ db }) => {
      const result = await verifyAuditChain(db);
      console.log(formatVerifyResult(result));
      if (!result.intact) process.exitCode = 3;
    }),
  );

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
  .option('--period <p>', 'YYYY or YYYY-MM (default: the previous calendar year)', periodLabel)
  .action((creditCode: string, options: { ruleSet: string; version?: string; period?: string }) => {
    const checked = checkCreditCode(creditCode);
    if (!checked.valid) fail(`${creditCode}: ${checked.message}`);
    const period = parsePeriod(options.period ?? previousCalendarYear());
    const registry = loadRuleRegistry(config().rulesDir);
    const ruleSet = options.version ? registry.get(options.ruleSet, options.version) : registry.effectiveOn(options.ruleSet, period.end);
    if (!ruleSet) fail(`no rule version ${options.ruleSet}/${options.version ?? `in force on ${period.end}`}; loaded: ${registry.list().map((s) => `${s.id}/${s.version}`).join(', ')}`);
    return withDatabase(async ({ db }) => {
      if (!(await findEnterprise(db, checked.code))) fail(`enterprise ${checked.code} is not registered`);
      const { rating } = rateEnterprise(ruleSet, await currentEvidenceSet(db, checked.code), period);
      console.log(explainRating(rating, ruleSet));
    });
  });

/**
 * Mistakes an operator can fix (a setting, a refused request) end as one `envcredit: …` line with
 * exit code 1; anything else is a bug and keeps its stack trace.
 */
await program.parseAsync(process.argv).catch((error: unknown) => {
  if (isRefusal(error)) fail(refusalMessage(error));
  if (error instanceof ConfigError) fail(error.message);
  throw error;
});
