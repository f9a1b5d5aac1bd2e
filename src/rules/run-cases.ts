import type { CompiledCase } from './cases.ts';
import type { CompiledRuleSet } from './compile.ts';
import { evaluate, type Rating } from './engine.ts';
import { lookupVerdict, situationOfRating } from './lookup.ts';

/** The result of running the test cases shipped inside rule files. */
export interface CaseResult {
  ruleSetId: string;
  version: string;
  index: number;
  name: string;
  passed: boolean;
  /** One line per expectation that did not hold: what was expected and what came out. */
  failures: string[];
  rating: Rating | null;
}

export interface CaseReport {
  passed: number;
  failed: number;
  results: CaseResult[];
}

export function runAllCases(ruleSets: readonly CompiledRuleSet[]): CaseReport {
  const results = ruleSets.flatMap((rules) => rules.cases.map((testCase) => runCase(rules, testCase)));
  const passed = results.filter((r) => r.passed).length;
  return { passed, failed: results.length - passed, results };
}

export function runCase(rules: CompiledRuleSet, testCase: CompiledCase): CaseResult {
  const result = { ruleSetId: rules.id, version: rules.version, index: testCase.index, name: testCase.name };
  let rating: Rating;
  try {
    rating = evaluate(rules, testCase.evidence, { period: testCase.period, asOf: testCase.asOf });
  } catch (error) {
    return { ...result, passed: false, failures: [`evaluation failed: ${(error as Error).message}`], rating: null };
  }
  const failures = expectationFailures(rules, testCase, rating);
  return { ...result, passed: failures.length === 0, failures, rating };
}

function expectationFailures(rules: CompiledRuleSet, testCase: CompiledCase, rating: Rating): string[] {
  const expect = testCase.expect;
  const failures: string[] = [];
  const check = (label: string, expected: unknown, actual: unknown) => {
    if (JSON.stringify(expected) !== JSON.stringify(actual)) failures.push(`${label}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
  };
  if (expect.score !== undefined) check('score', expect.score, rating.score);
  if (expect.level !== undefined) check('level', expect.level, rating.level);
  if (expect.vetoes) check('vetoes', [...expect.vetoes].sort(), rating.vetoes.map((v) => v.id).sort());
  if (expect.reasons) check('reasons', [...expect.reasons].sort(), rating.reasons);
  for (const reason of expect.reasons_include ?? []) {
    if (!rating.reasons.includes(reason)) failures.push(`reasons: expected to include ${reason}, got ${JSON.stringify(rating.reasons)}`);
  }
  if (expect.blacklist) check('blacklist', [...expect.blacklist].sort(), rating.blacklist.map((b) => b.criterion).sort());
  if (expect.leader) check('leader', expect.leader, rating.leader.action);
  for (const lookup of expect.lookups ?? []) {
    const situation = lookup.situation ?? situationOfRating(rating);
    const verdict = lookupVerdict(rules, lookup.purpose, situation);
    check(`lookup ${lookup.purpose}/${situation} verdict`, lookup.verdict, verdict.verdict);
    if (lookup.premium_multiplier !== undefined) check(`lookup ${lookup.purpose}/${situation} premium`, lookup.premium_multiplier, verdict.premiumMultiplier);
  }
  return failures;
}

/** Plain text for the CLI: one line per case, failures indented under it. */
export function formatCaseReport(report: CaseReport): string {
  const lines = report.results.map((r) => {
    const head = `${r.passed ? 'ok  ' : 'FAIL'} ${r.ruleSetId}@${r.version} #${r.index} ${r.name}`;
    return [head, ...r.failures.map((f) => `       ${f}`)].join('\n');
  });
  lines.push(`${report.passed} passed, ${report.failed} failed`);
  return lines.join('\n');
}
