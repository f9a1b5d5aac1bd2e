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

await program.parseAsync(process.argv);
