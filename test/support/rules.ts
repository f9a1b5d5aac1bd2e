import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const LINJIANG = new URL('../../rules/linjiang/2025.1.yaml', import.meta.url);

/**
 * A rules directory for lifecycle tests: the shipped Linjiang set with a publicity period of
 * `publicityDays`, plus a stricter 2025.2 (higher level thresholds, in force only from 2027) for simulations.
 */
export function lifecycleRulesDir(publicityDays = 10): string {
  const dir = mkdtempSync(join(tmpdir(), 'envcredit-rules-'));
  mkdirSync(join(dir, 'linjiang'));
  const shipped = readFileSync(LINJIANG, 'utf8');
  const base = shipped.replace(/publicity_days: \d+/, `publicity_days: ${publicityDays}`);
  writeFileSync(join(dir, 'linjiang', '2025.1.yaml'), base);
  const strict = base
    .replace("version: '2025.1'", "version: '2025.2'")
    .replace("effective_from: '2025-01-01'", "effective_from: '2027-01-01'")
    .replace('{ level: GREEN, min_score: 90,', '{ level: GREEN, min_score: 98,')
    .replace('{ level: BLUE, min_score: 80,', '{ level: BLUE, min_score: 90,')
    .replace(/\ncases:[\s\S]*$/, '\ncases: []\n');
  writeFileSync(join(dir, 'linjiang', '2025.2.yaml'), strict);
  return dir;
}

/** The shipped Linjiang set with every blacklist criterion waiting for a bureau_admin (none automatic). */
export function confirmationRulesDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'envcredit-rules-'));
  mkdirSync(join(dir, 'linjiang'));
  const shipped = readFileSync(LINJIANG, 'utf8');
  writeFileSync(join(dir, 'linjiang', '2025.1.yaml'), shipped.replaceAll('automatic: true', 'automatic: false').replace(/\ncases:[\s\S]*$/, '\ncases: []\n'));
  return dir;
}
