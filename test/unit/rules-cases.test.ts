import { describe, expect, it } from 'vitest';
import { loadRuleRegistry } from '../../src/rules/load.ts';
import { runAllCases, runCase } from '../../src/rules/run-cases.ts';

// Every rule file's own test cases are part of `npm test`: a case that fails fails the build.
const registry = loadRuleRegistry('rules');
const ruleSets = registry.all();

describe('rule files ship enough cases', () => {
  it('the Linjiang default set has at least 25 cases and the point set at least 10', () => {
    expect(registry.get('linjiang', '2025.1')?.cases.length).toBeGreaterThanOrEqual(25);
    expect(registry.get('jiangsu-points', '2020.1')?.cases.length).toBeGreaterThanOrEqual(10);
  });

  it('the report counts every case', () => {
    const report = runAllCases(ruleSets);
    expect(report.passed + report.failed).toBe(ruleSets.reduce((n, r) => n + r.cases.length, 0));
  });
});

for (const rules of ruleSets) {
  describe(`${rules.id}@${rules.version} cases`, () => {
    it.each(rules.cases.map((c) => [c.name, c] as const))('%s', (_name, testCase) => {
      const result = runCase(rules, testCase);
      expect(result.failures).toEqual([]);
    });
  });
}
