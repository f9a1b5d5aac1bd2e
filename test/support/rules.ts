import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRuleRegistry } from '../../src/rules/index.ts';

const LINJIANG = new URL('../../rules/linjiang/2025.1.yaml', import.meta.url);

/**
 * A rules directory for lifecycle tests: the shipped Linjiang set with a publicity period of
 * `publicityDays`, plus a stricter 2025.2 (higher level thresholds, in force only from 2027) for simulations.
 */
export function lifecycleRulesDir(publicityDays = 10, options: { effectiveFrom?: string } = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'envcredit-rules-'));
  mkdirSync(join(dir, 'linjiang'));
  const shipped = readFileSync(LINJIANG, 'utf8');
  const base = shipped.replace(/publicity_days: \d+/, `publicity_days: ${publicityDays}`);
  // A test that needs an earlier year rated under 2025.1 moves its start back (a draft rates a period
  // under the version in force at its end).
  writeFileSync(join(dir, 'linjiang', '2025.1.yaml'), options.effectiveFrom ? base.replace("effective_from: '2025-01-01'", `effective_from: '${options.effectiveFrom}'`) : base);
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

/** The version of a shipped rule set in force on a day: what a draft of a period ending that day must use. */
export function shippedVersionInForce(ruleSetId: string, day: string): string {
  const version = loadRuleRegistry(new URL('../../rules', import.meta.url).pathname).effectiveOn(ruleSetId, day)?.version;
  if (!version) throw new Error(`no shipped version of ${ruleSetId} in force on ${day}`);
  return version;
}
