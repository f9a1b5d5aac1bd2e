import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { changedRuleVersions, loadRuleRegistry, parseRuleText, scanRulesDir } from '../../src/rules/load.ts';
import { formatProblem, RuleFileError, type RuleProblem } from '../../src/rules/problems.ts';

const GOOD = readFileSync('rules/linjiang/2025.1.yaml', 'utf8');
const FILE = 'rules/linjiang/2025.1.yaml';
const EXPECTED = { id: 'linjiang', version: '2025.1' };

/** The text with `from` replaced once (it must occur), so each test breaks exactly one thing. */
function broken(from: string, to: string): string {
  expect(GOOD.includes(from), `fixture text not found: ${from}`).toBe(true);
  return GOOD.replace(from, to);
}

const lineOf = (text: string, needle: string): number => text.slice(0, text.indexOf(needle)).split('\n').length;

function problemsOf(text: string): RuleProblem[] {
  const parsed = parseRuleText(text, FILE, EXPECTED);
  expect(parsed.ruleSet).toBeNull();
  return parsed.problems;
}

describe('a good rule file', () => {
  it('loads with a content hash of its bytes', () => {
    const parsed = parseRuleText(Buffer.from(GOOD), FILE, EXPECTED);
    expect(parsed.problems).toEqual([]);
    expect(parsed.ruleSet?.contentHash).toBe(`sha256:${createHash('sha256').update(GOOD).digest('hex')}`);
  });
});

describe('a broken rule file is refused with file, path, line and what was expected', () => {
  it('a point value of the wrong type', () => {
    const text = broken('{ when: { fine_cny: { min: 50000 } }, points: 5, reason: FINE_50K_200K }', "{ when: { fine_cny: { min: 50000 } }, points: 'five', reason: FINE_50K_200K }");
    const [problem] = problemsOf(text);
    expect(problem).toMatchObject({ file: FILE, path: 'categories[0].indicators[2].table[2].points', line: lineOf(text, "points: 'five'"), expected: 'number' });
    expect(formatProblem(problem!)).toMatch(/^rules\/linjiang\/2025\.1\.yaml:\d+:\d+ categories\[0\]\.indicators\[2\]\.table\[2\]\.points: /);
  });

  it('an unquoted version (YAML reads 2025.1 as a number)', () => {
    const text = broken("version: '2025.1'", 'version: 2025.1');
    const problems = problemsOf(text);
    expect(problems[0]).toMatchObject({ path: 'version', line: lineOf(text, 'version: 2025.1') });
    expect(problems[0]?.expected).toMatch(/quote it/);
  });

  it('a violation type that is not in the vocabulary', () => {
    const text = broken('where: { violation_type: { in: [SOLID_WASTE] } }', 'where: { violation_type: { in: [SOLID_WASTES] } }');
    const [problem] = problemsOf(text);
    expect(problem).toMatchObject({ path: 'categories[0].indicators[3].where.violation_type.in[0]', line: lineOf(text, 'SOLID_WASTES') });
    expect(problem?.message).toContain('SOLID_WASTES');
    expect(problem?.expected).toContain('SOLID_WASTE |');
  });

  it('a field the record kind does not have', () => {
    const text = broken('where: { substantiated: { equals: true } }', 'where: { substantiatd: { equals: true } }');
    const [problem] = problemsOf(text);
    expect(problem).toMatchObject({ path: 'categories[3].indicators[0].where.substantiatd', line: lineOf(text, 'substantiatd') });
    expect(problem?.expected).toContain('substantiated');
  });

  it('a rate over groups of a field the record kind does not have', () => {
    const text = broken("          exceeded: { equals: false }\n        bands:\n          - { min_rate: 0.9,", "          exceeded: { equals: false }\n        per: outlet\n        bands:\n          - { min_rate: 0.9,");
    const [problem] = problemsOf(text);
    expect(problem).toMatchObject({ path: 'categories[0].indicators[0].per' });
    expect(problem?.expected).toContain('outlet_code');
  });

  it('level thresholds out of order', () => {
    const text = broken('{ level: BLUE, min_score: 80,', '{ level: BLUE, min_score: 95,');
    const [problem] = problemsOf(text);
    expect(problem).toMatchObject({ path: 'levels[1].min_score', line: lineOf(text, 'min_score: 95,') });
    expect(problem?.expected).toBe('a number below 90');
  });

  it('CEL that does not parse or names an unknown field', () => {
    const syntax = problemsOf(broken('cel: standing.leader', 'cel: standing.leader &&'));
    expect(syntax[0]).toMatchObject({ path: 'bonuses.indicators[1].cel', message: expect.stringMatching(/CEL does not parse/) });
    const field = problemsOf(broken('cel: days_between(record.date, record.checked_on) <= 31', 'cel: days_between(record.date, record.checked) <= 31'));
    expect(field[0]).toMatchObject({ path: 'bonuses.indicators[2].where.cel', message: expect.stringMatching(/checked/) });
    const notBool = problemsOf(broken('cel: standing.credit_commitment', 'cel: as_of'));
    expect(notBool[0]?.message).toMatch(/must be a bool/);
  });

  it('an unknown window name', () => {
    const text = broken('  audit: AUDIT_VALIDITY', '  audit: AUDIT_VALIDITI');
    const [problem] = problemsOf(text);
    expect(problem).toMatchObject({ path: 'record_windows.audit', line: lineOf(text, 'AUDIT_VALIDITI') });
    expect(problem?.expected).toContain('PERIOD, AUDIT_VALIDITY');
  });

  it('an id that does not match its folder', () => {
    const [problem] = problemsOf(broken('id: linjiang', 'id: linjiang-city'));
    expect(problem).toMatchObject({ path: 'id', line: lineOf(GOOD, 'id: linjiang'), expected: 'linjiang' });
  });

  it('an unknown key, with the keys allowed there', () => {
    const text = broken('  publicity_days: 10', '  publicity_days: 10\n  publicty_days: 10');
    const [problem] = problemsOf(text);
    expect(problem).toMatchObject({ path: 'evaluation.publicty_days', line: lineOf(text, 'publicty_days') });
    expect(problem?.expected).toContain('publicity_days');
  });

  it('a veto the blacklist names but the file lacks', () => {
    const [problem] = problemsOf(broken('vetoes_any: [VETO_ENVIRONMENTAL_CRIME,', 'vetoes_any: [VETO_CRIME,'));
    expect(problem).toMatchObject({ path: 'blacklist.criteria[0].when.vetoes_any[0]' });
  });

  it('a leader revoke condition whose CEL does not compile, or whose reason is given twice', () => {
    const condition = (reason: string, cel: string) => `\n      - { reason: ${reason}, cel: '${cel}' }`;
    const badCel = problemsOf(broken('    any_veto: true\n', `    any_veto: true\n    conditions:${condition('SERIOUS', 'violations.exists(v, v.fine >= 50000.0)')}\n`));
    expect(badCel[0]).toMatchObject({ path: 'leader.revoke.conditions[0].cel', message: expect.stringMatching(/fine/) });
    const twice = problemsOf(broken('    any_veto: true\n', `    any_veto: true\n    conditions:${condition('SERIOUS', 'score < 50.0')}${condition('SERIOUS', 'level == "RED"')}\n`));
    expect(twice).toEqual([expect.objectContaining({ path: 'leader.revoke.conditions[1].reason', message: expect.stringMatching(/already used at leader\.revoke\.conditions\[0\]/) })]);
    const lowerCase = problemsOf(broken('    any_veto: true\n', `    any_veto: true\n    conditions:${condition('serious', 'score < 50.0')}\n`));
    expect(lowerCase[0]).toMatchObject({ path: 'leader.revoke.conditions[0].reason' });
  });

  it('a test case record with a misspelt code', () => {
    const text = broken("{ decided_on: '2024-04-10', violation_type: EXCEEDING_STANDARDS, fine_cny: 30000 }", "{ decided_on: '2024-04-10', violation_type: EXCEEDING_STANDARD, fine_cny: 30000 }");
    const [problem] = problemsOf(text);
    expect(problem?.path).toMatch(/^cases\[\d+\]\.evidence\.violations\[0\]\.violation_type$/);
    expect(problem?.line).toBe(lineOf(text, 'EXCEEDING_STANDARD,'));
  });

  it('YAML that does not parse', () => {
    const text = broken('scoring:\n  base_score: 100', 'scoring:\n  base_score: [100');
    const [problem] = problemsOf(text);
    expect(problem?.path).toBe('(yaml)');
    expect(problem?.line).toBeGreaterThan(0);
  });
});

describe('the registry', () => {
  function rulesDirWith(files: Record<string, string>): string {
    const dir = mkdtempSync(join(tmpdir(), 'envcredit-rules-'));
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(join(dir, path, '..'), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    return dir;
  }

  it('keeps several versions of a set and picks the one effective on a date', () => {
    const next = GOOD.replace("version: '2025.1'", "version: '2026.1'").replace("effective_from: '2025-01-01'", "effective_from: '2026-01-01'");
    const registry = loadRuleRegistry(rulesDirWith({ 'linjiang/2025.1.yaml': GOOD, 'linjiang/2026.1.yaml': next }));
    expect(registry.versions('linjiang')).toEqual(['2025.1', '2026.1']);
    expect(registry.effectiveOn('linjiang', '2025-06-30')?.version).toBe('2025.1');
    expect(registry.effectiveOn('linjiang', '2026-01-01')?.version).toBe('2026.1');
    expect(registry.effectiveOn('linjiang', '2024-12-31')).toBeUndefined();
    expect(registry.get('linjiang', '2026.1')?.contentHash).not.toBe(registry.get('linjiang', '2025.1')?.contentHash);
  });

  it('refuses to start when any file is bad, listing every problem', () => {
    const dir = rulesDirWith({ 'linjiang/2025.1.yaml': GOOD, 'linjiang/2025.2.yaml': GOOD });
    expect(() => loadRuleRegistry(dir)).toThrow(RuleFileError);
    const { registry, problems } = scanRulesDir(dir);
    expect(registry.versions('linjiang')).toEqual(['2025.1']);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ path: 'version', expected: '2025.2' });
  });

  it('lists the shipped rule sets, and the Linjiang version in force on a date', () => {
    const registry = loadRuleRegistry('rules');
    expect(registry.setIds()).toEqual(['jiangsu-points', 'linjiang']);
    expect(registry.versions('linjiang')).toEqual(['2025.1', '2026.1', '2027.1']);
    expect(registry.effectiveOn('linjiang', '2025-12-31')?.version).toBe('2025.1');
    expect(registry.effectiveOn('linjiang', '2026-01-01')?.version).toBe('2026.1');
    expect(registry.effectiveOn('linjiang', '2026-12-31')?.version).toBe('2026.1');
    expect(registry.effectiveOn('linjiang', '2027-01-01')?.version).toBe('2027.1');
  });

  it('reports a used version whose file changed or vanished', () => {
    const registry = loadRuleRegistry('rules');
    const hash = registry.get('linjiang', '2025.1')!.contentHash;
    expect(changedRuleVersions(registry, [{ ruleSetId: 'linjiang', version: '2025.1', contentHash: hash }])).toEqual([]);
    const [changed] = changedRuleVersions(registry, [{ ruleSetId: 'linjiang', version: '2025.1', contentHash: `sha256:${'0'.repeat(64)}` }]);
    expect(changed?.message).toMatch(/changed after ratings used version 2025\.1/);
    const [missing] = changedRuleVersions(registry, [{ ruleSetId: 'linjiang', version: '2019.1', contentHash: hash }]);
    expect(missing?.message).toMatch(/file is missing/);
  });
});
