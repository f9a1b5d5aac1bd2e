/**
 * Start-up that cannot succeed stops at once with one line naming what to fix (README
 * "Configuration"), not a TypeError after migrating and seeding, nor a driver message naming nothing.
 */
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawnService } from '../support/process.ts';

const embedded = () => ({ DATABASE_URL: '', DATA_DIR: mkdtempSync(join(tmpdir(), 'envcredit-startup-')) });

describe('start-up that cannot succeed', () => {
  it('names the port when another process holds it', async () => {
    const holder: Server = createServer().listen(0, '0.0.0.0');
    await once(holder, 'listening');
    const port = (holder.address() as { port: number }).port;
    try {
      await expect(spawnService({ ...embedded(), PORT: String(port) })).rejects.toThrow(new RegExp(`exited \\(1\\) .*port ${port} is already in use \\(EADDRINUSE\\)`));
    } finally {
      holder.close();
    }
  }, 60_000);

  it('names DEFAULT_RULE_SET and the rule sets loaded when it names none of them', async () => {
    await expect(spawnService({ ...embedded(), DEFAULT_RULE_SET: 'nowhere' })).rejects.toThrow(/exited \(1\) .*DEFAULT_RULE_SET .*"nowhere".*loaded: .*linjiang/);
  }, 60_000);

  it('names DATABASE_URL, without its password, when the database cannot be reached', async () => {
    const refused = spawnService({ DATABASE_URL: 'postgres://envcredit:hunter2@127.0.0.1:1/envcredit' });
    await expect(refused).rejects.toThrow(/exited \(1\) .*cannot connect to the database at DATABASE_URL postgres:\/\/envcredit@127\.0\.0\.1:1\/envcredit: .*ECONNREFUSED/);
    await expect(refused).rejects.not.toThrow(/hunter2/);
  }, 60_000);
});
