import { compileCel, type CelContext, type CompiledCel } from './cel.ts';
import { FIELD_CATALOGUE, type FactValue, type Facts, type FieldSpec } from './fields.ts';
import type { PathSegment } from './problems.ts';
import type { FieldTest, Match, SourceKind } from './types.ts';

/** A compiled `where`/`when`: field tests, then the CEL condition only if the tests pass. */
export interface CompiledMatch {
  matches(facts: Facts, context: CelContext): boolean;
}

export type Report = (path: readonly PathSegment[], message: string, expected?: string) => void;

export const MATCH_ALL: CompiledMatch = { matches: () => true };

type Predicate = (value: FactValue | undefined) => boolean;

export function compileMatch(match: Match | undefined, source: SourceKind, path: readonly PathSegment[], report: Report): CompiledMatch {
  if (!match) return MATCH_ALL;
  const predicates: { field: string; test: Predicate }[] = [];
  let cel: CompiledCel | null = null;
  for (const [field, test] of Object.entries(match)) {
    if (field === 'cel') {
      cel = compileCelAt(String(test), { kind: 'record', source }, [...path, 'cel'], report);
      continue;
    }
    const spec = FIELD_CATALOGUE[source][field];
    if (!spec) {
      report([...path, field], `${source} records have no field "${field}"`, `one of ${Object.keys(FIELD_CATALOGUE[source]).join(', ')}, or cel`);
      continue;
    }
    const predicate = compileFieldTest(test as FieldTest, spec, [...path, field], report);
    if (predicate) predicates.push({ field, test: predicate });
  }
  return {
    matches(facts, context) {
      for (const { field, test } of predicates) if (!test(facts[field])) return false;
      return cel ? cel.evaluate({ ...context, record: facts }) : true;
    },
  };
}

export function compileCelAt(expression: string, scope: Parameters<typeof compileCel>[1], path: readonly PathSegment[], report: Report): CompiledCel | null {
  try {
    return compileCel(expression, scope);
  } catch (error) {
    report(path, error instanceof Error ? error.message : String(error), 'a CEL expression giving a bool');
    return null;
  }
}

const OPERATORS_BY_TYPE: Record<FieldSpec['type'], readonly (keyof FieldTest)[]> = {
  string: ['in', 'not_in', 'equals', 'is_null'],
  date: ['equals', 'is_null'],
  number: ['in', 'not_in', 'equals', 'is_null', 'min', 'max', 'above', 'below'],
  bool: ['equals'],
  list: ['any', 'none'],
};

function compileFieldTest(test: FieldTest, spec: FieldSpec, path: readonly PathSegment[], report: Report): Predicate | null {
  const allowed = OPERATORS_BY_TYPE[spec.type];
  const parts: Predicate[] = [];
  for (const [operator, operand] of Object.entries(test) as [keyof FieldTest, unknown][]) {
    if (!allowed.includes(operator) || (operator === 'is_null' && !spec.nullable)) {
      report([...path, operator], `"${operator}" does not apply to a ${spec.nullable ? 'nullable ' : ''}${spec.type} field`, allowed.filter((o) => o !== 'is_null' || spec.nullable).join(', '));
      continue;
    }
    checkVocabulary(operator, operand, spec, [...path, operator], report);
    parts.push(predicateFor(operator, operand));
  }
  if (parts.length === 0) return null;
  return (value) => parts.every((p) => p(value));
}

function checkVocabulary(operator: keyof FieldTest, operand: unknown, spec: FieldSpec, path: readonly PathSegment[], report: Report): void {
  if (!spec.vocabulary) return;
  const codes: unknown[] = operator === 'equals' ? [operand] : Array.isArray(operand) ? operand : [];
  codes.forEach((code, index) => {
    if (!spec.vocabulary?.includes(String(code))) {
      report(operator === 'equals' ? path : [...path, index], `unknown code ${JSON.stringify(code)}`, spec.vocabulary?.join(' | '));
    }
  });
}

function predicateFor(operator: keyof FieldTest, operand: unknown): Predicate {
  const list = Array.isArray(operand) ? (operand as (string | number)[]) : [];
  const bound = typeof operand === 'number' ? operand : NaN;
  switch (operator) {
    case 'in':
      return (v) => v !== null && v !== undefined && list.includes(v as string | number);
    case 'not_in':
      return (v) => !list.includes(v as string | number);
    case 'any':
      return (v) => Array.isArray(v) && v.some((item) => list.includes(item));
    case 'none':
      return (v) => !Array.isArray(v) || !v.some((item) => list.includes(item));
    case 'equals':
      return (v) => v === operand;
    case 'is_null':
      return (v) => (v === null || v === undefined) === operand;
    case 'min':
      return (v) => typeof v === 'number' && v >= bound;
    case 'max':
      return (v) => typeof v === 'number' && v <= bound;
    case 'above':
      return (v) => typeof v === 'number' && v > bound;
    case 'below':
      return (v) => typeof v === 'number' && v < bound;
  }
}
