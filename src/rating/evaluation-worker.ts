/**
 * A rating worker thread (see evaluation-pool.ts): receives batches of evidence sets with the rule
 * file they are to be rated by, answers with the rows to store. Pure computation, no I/O: the same
 * rateEnterprise as the main thread, so a worker's bytes are the main thread's bytes.
 */
import { parentPort } from 'node:worker_threads';
import type { EvidenceSet } from '../evidence/evidence-set.ts';
import { compileRuleFile, type CompiledRuleSet } from '../rules/compile.ts';
import type { RuleFile } from '../rules/types.ts';
import type { RatingPeriod } from './period.ts';
import { rateEnterprise } from './rate-enterprise.ts';
import type { RatedRow } from './evaluation-pool.ts';

export interface EvaluationRequest {
  id: number;
  rules: { file: RuleFile; contentHash: string };
  period: RatingPeriod;
  sets: EvidenceSet[];
}

export type EvaluationResponse = { id: number; rows: RatedRow[]; ms: number } | { id: number; error: string };

/** Compiled once per rule version: a run sends the same version with every batch. */
const compiled = new Map<string, CompiledRuleSet>();

function ruleSetFor(rules: EvaluationRequest['rules']): CompiledRuleSet {
  let ruleSet = compiled.get(rules.contentHash);
  if (!ruleSet) {
    const problems: string[] = [];
    ruleSet = compileRuleFile(rules.file, rules.contentHash, (path, message) => problems.push(`${path.join('.')}: ${message}`));
    if (problems.length > 0) throw new Error(`rule file ${rules.file.id}@${rules.file.version} does not compile in the worker: ${problems[0]}`);
    compiled.set(rules.contentHash, ruleSet);
  }
  return ruleSet;
}

parentPort!.on('message', (request: EvaluationRequest) => {
  const started = performance.now();
  try {
    const ruleSet = ruleSetFor(request.rules);
    const rows = request.sets.map((set) => rateEnterprise(ruleSet, set, request.period).row);
    parentPort!.postMessage({ id: request.id, rows, ms: performance.now() - started } satisfies EvaluationResponse);
  } catch (error) {
    parentPort!.postMessage({ id: request.id, error: error instanceof Error ? error.message : String(error) } satisfies EvaluationResponse);
  }
});
