import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createTokenVerifier } from '../../src/auth/jwt.ts';

const run = promisify(execFile);
const BIN = new URL('../../src/cli/envcredit.mjs', import.meta.url).pathname;
const SECRET = 'cli-test-secret-0123456789-0123456789-abc';

async function envcredit(args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { env: { ...process.env, JWT_SECRET: SECRET, ...env }, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('the envcredit command', () => {
  it('mints a development token the service accepts', async () => {
    const { code, stdout } = await envcredit(['token', '--role', 'bureau_officer', '--org', 'linjiang-eeb', '--ttl', '30m']);
    expect(code).toBe(0);
    const verify = createTokenVerifier({ jwt: { secret: SECRET, publicKey: undefined, issuer: 'envcredit', audience: 'envcredit' } });
    expect(verify(stdout.trim())).toMatchObject({ role: 'bureau_officer', org: 'linjiang-eeb' });
  });

  it('refuses an enterprise token without a valid credit code', async () => {
    expect((await envcredit(['token', '--role', 'enterprise'])).stderr).toMatch(/--credit-code/);
    const bad = await envcredit(['token', '--role', 'enterprise', '--credit-code', '91310110666007217A']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/check character/);
  });

  it('refuses to mint with NODE_ENV=production: a one-line error, no token', async () => {
    const { code, stdout, stderr } = await envcredit(['token', '--role', 'bureau_admin', '--org', 'linjiang-eeb', '--ttl', '1h'], { NODE_ENV: 'production' });
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^envcredit: token refuses to run with NODE_ENV=production; production tokens come from the identity provider\n$/);
  });

  it('caps a development token’s lifetime at 24h', async () => {
    const [longest, ...tooLong] = await Promise.all([
      envcredit(['token', '--role', 'bureau_officer', '--org', 'linjiang-eeb', '--ttl', '24h']),
      ...['86401s', '36500d'].map((ttl) => envcredit(['token', '--role', 'bureau_admin', '--ttl', ttl])),
    ]);
    expect(longest!.code).toBe(0);
    for (const { code, stdout, stderr } of tooLong) {
      expect(code).toBe(1);
      expect(stdout).toBe('');
      expect(stderr).toMatch(/development tokens live at most 24h/);
    }
  }, 120_000);

  it('asks for --org when minting for an institution role', async () => {
    const { code, stderr } = await envcredit(['token', '--role', 'insurer']);
    expect(code).toBe(1);
    expect(stderr).toMatch(/--role insurer needs --org/);
  });

  it('rules check names the file, line and what was expected for a broken rule file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'envcredit-cli-rules-'));
    mkdirSync(join(dir, 'linjiang'));
    const shipped = readFileSync(new URL('../../rules/linjiang/2025.1.yaml', import.meta.url), 'utf8');
    writeFileSync(join(dir, 'linjiang', '2025.1.yaml'), shipped.replace('{ level: BLUE, min_score: 80,', '{ level: BLUE, min_score: 95,'));
    const { code, stderr } = await envcredit(['rules', 'check'], { RULES_DIR: dir });
    expect(code).toBe(1);
    expect(stderr).toMatch(/2025\.1\.yaml:\d+/);
    expect(stderr).toMatch(/levels/);
  });

  it('rate refuses a draft under a rule version not in force for the period, as the API does: a message, no stack trace', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'envcredit-cli-rate-'));
    const { code, stdout, stderr } = await envcredit(['rate', '--period', '2025', '--version', '2026.1'], { DATABASE_URL: '', DATA_DIR: dataDir });
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^envcredit: version: linjiang 2026\.1 is not the version in force at the end of 2025 .*\[VALIDATION_FAILED, input\.version, expected 2025\.1\]\n$/);
  }, 60_000);

  it.each([
    [['rate', '--period', '20x5'], /--period .*"20x5" is not a rating period/],
    [['rules', 'explain', '91310110666007217T', '--period', '20x5'], /--period .*"20x5" is not a rating period/],
    [['generate', '--enterprises', 'abc', '--out', tmpdir()], /--enterprises .*'abc' is invalid\. expected a whole number/],
    [['seed-demo', '--seed', 'abc'], /--seed .*'abc' is invalid\. expected a whole number/],
    [['rate', '--period', '2025', '--region', 'Chengguan', '--industry', 'C'], /--region .* cannot be used with option '--industry/],
    [['rate', '--period', '2025', '--industry', 'C', '--codes', '91310110666007217T'], /--industry .* cannot be used with option '--codes/],
    [['rate', '--period', '2025', '--codes', '91310110666007217T,91310110666007217A'], /91310110666007217A: check character/],
  ])('%j is a usage error: one message, no stack trace, nothing run', async (args, message) => {
    const { code, stdout, stderr } = await envcredit(args, { DATABASE_URL: '', DATA_DIR: mkdtempSync(join(tmpdir(), 'envcredit-cli-usage-')) });
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(message);
    expect(stderr).not.toMatch(/^\s+at /m);
  }, 60_000);

  it('token with a public key instead of a secret says so in one line', async () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256', publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
    const { code, stdout, stderr } = await envcredit(['token', '--role', 'bureau_officer', '--org', 'linjiang-eeb'], { JWT_SECRET: '', JWT_PUBLIC_KEY: publicKey });
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^envcredit: Invalid configuration: JWT_SECRET is not set: .*JWT_PUBLIC_KEY.*\n$/);
  });

  it('rules test runs every case of the shipped rule files', async () => {
    const { code, stdout } = await envcredit(['rules', 'test']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^\d+ passed, 0 failed$/m);
  });
});

describe('envcredit import', () => {
  const dir = mkdtempSync(join(tmpdir(), 'envcredit-cli-import-'));
  const env = { DATABASE_URL: '', DATA_DIR: join(dir, 'data') };

  it('names a missing file or a directory in one line, without a stack trace, and exits 1', async () => {
    for (const [path, what] of [[join(dir, 'missing.csv'), /missing\.csv: no such file$/], [dir, /: is a directory, not a file$/]] as const) {
      const { code, stdout, stderr } = await envcredit(['import', '--kind', 'violations', path], env);
      expect(code, path).toBe(1);
      expect(stdout, path).toBe('');
      expect(stderr.trimEnd(), path).toMatch(new RegExp(`^envcredit: .*${what.source}`));
      expect(stderr, path).not.toMatch(/\n\s+at /);
    }
  }, 120_000);
});
