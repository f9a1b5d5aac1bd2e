/** The rules module's public surface, for the GraphQL and CLI layers. */
export { canonicalJson } from './canonical-json.ts';
export type { CompiledRuleSet } from './compile.ts';
export type { CompiledCase } from './cases.ts';
export { emptyEvidenceSet, loadEvidenceSet, loadEvidenceSets } from '../evidence/evidence-set.ts';
export type { EvidenceSet, LoadEvidenceOptions } from '../evidence/evidence-set.ts';
export { evaluate, RatingInputError, worstLevel } from './engine.ts';
export type { BlacklistProposal, CategoryResult, EvaluateOptions, IndicatorResult, LeaderProposal, PointChange, Rating, VetoHit } from './engine.ts';
export { explainRating } from './explain.ts';
export { changedRuleVersions, checkRuleFile, compareVersions, contentHashOf, loadRuleRegistry, parseRuleText, RuleRegistry, scanRulesDir } from './load.ts';
export type { ParsedRuleFile, RecordedRuleVersion, RuleSetVersionSummary } from './load.ts';
export { lookupVerdict, situationOf, situationOfRating } from './lookup.ts';
export type { LookupStanding, LookupVerdict } from './lookup.ts';
export { formatProblem, RuleFileError } from './problems.ts';
export type { RuleProblem } from './problems.ts';
export { formatCaseReport, runAllCases, runCase } from './run-cases.ts';
export type { CaseReport, CaseResult } from './run-cases.ts';
export { LEVELS, PURPOSES, SITUATIONS, VERDICTS } from './types.ts';
export type { Level, Purpose, RuleFile, Situation, Verdict } from './types.ts';
