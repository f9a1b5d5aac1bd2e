/**
 * CEL (Common Expression Language) for the conditions a table cannot express.
 *
 * Library choice: @marcbachmann/cel-js. It has zero dependencies, ships ESM with TypeScript types,
 * runs on Node 20, and — the deciding point — its Environment type-checks an expression against
 * declared variables and record types *before* evaluation, so a misspelt field (`record.fine`) or a
 * non-boolean condition is refused when the rule file loads, with a caret at the column, instead of
 * failing during a rating run. @bufbuild/cel is more spec-complete but has no checker in the planner
 * path and pulls in the protobuf runtime; we need neither protobuf messages nor the rest of the spec.
 * Both interpret an AST; neither (nor this code) uses eval or new Function on file text.
 */
import { Environment } from '@marcbachmann/cel-js';
import { addMonths, daysBetween } from './dates.ts';
import { FIELD_CATALOGUE, LIST_NAMES, type FieldSpec } from './fields.ts';
import { SOURCE_KINDS, type SourceKind } from './types.ts';

/** Where an expression is written decides which variables it may use. */
export type CelScope = { kind: 'record'; source: SourceKind } | { kind: 'enterprise' } | { kind: 'rating' };

export type CelValue = unknown;
export type CelContext = Record<string, CelValue>;

export interface CompiledCel {
  source: string;
  evaluate(context: CelContext): boolean;
}

export class CelCompileError extends Error {
  constructor(
    message: string,
    readonly expression: string,
  ) {
    super(message);
    this.name = 'CelCompileError';
  }
}

export class CelRuntimeError extends Error {
  constructor(
    message: string,
    readonly expression: string,
  ) {
    super(message);
    this.name = 'CelRuntimeError';
  }
}

const TYPE_NAMES: Record<SourceKind, string> = {
  violation: 'Violation',
  emission: 'Emission',
  audit: 'Audit',
  disclosure: 'Disclosure',
  complaint: 'Complaint',
  permitReport: 'PermitReport',
};

function celTypeOf(spec: FieldSpec): string {
  if (spec.nullable) return 'dyn';
  if (spec.type === 'number') return 'double';
  if (spec.type === 'bool') return 'bool';
  if (spec.type === 'list') return 'list<string>';
  return 'string';
}

function baseEnvironment(): Environment {
  let env = new Environment({ limits: { maxAstNodes: 2_000, maxDepth: 50 } })
    .registerVariable({
      name: 'enterprise',
      schema: { credit_code: 'string', name: 'string', region: 'string', industry: 'string', key_discharge_unit: 'bool', registered_on: 'dyn', closed_on: 'dyn' },
    })
    .registerVariable({ name: 'standing', schema: { leader: 'bool', credit_commitment: 'bool' } })
    .registerVariable({ name: 'period', schema: { start: 'string', end: 'string', year: 'int' } })
    .registerVariable('as_of', 'string')
    .registerFunction('add_months(string, int): string', (date: string, months: bigint) => addMonths(date, Number(months)))
    .registerFunction('days_between(string, string): int', (from: string, to: string) => BigInt(daysBetween(from, to)));
  for (const kind of SOURCE_KINDS) {
    const fields = Object.fromEntries(Object.entries(FIELD_CATALOGUE[kind]).map(([name, spec]) => [name, celTypeOf(spec)]));
    env = env.registerType(TYPE_NAMES[kind], { fields }).registerVariable(LIST_NAMES[kind], `list<${TYPE_NAMES[kind]}>`);
  }
  return env;
}

/** One environment per scope, built once per process: registering types is the costly part. */
let environments: Map<string, Environment> | undefined;

function environmentFor(scope: CelScope): Environment {
  environments ??= buildEnvironments();
  const env = environments.get(scopeKey(scope));
  if (!env) throw new Error(`no CEL environment for ${scopeKey(scope)}`);
  return env;
}

const scopeKey = (scope: CelScope): string => (scope.kind === 'record' ? `record:${scope.source}` : scope.kind);

function buildEnvironments(): Map<string, Environment> {
  const base = baseEnvironment();
  const map = new Map<string, Environment>();
  map.set('enterprise', base.clone());
  map.set(
    'rating',
    base
      .clone()
      .registerVariable('score', 'double')
      .registerVariable('level', 'string')
      .registerVariable('vetoes', 'list<string>')
      .registerVariable('bonuses', 'list<string>')
      .registerVariable('deduction_points', 'double')
      .registerVariable('bonus_points', 'double'),
  );
  for (const kind of SOURCE_KINDS) map.set(`record:${kind}`, base.clone().registerVariable('record', TYPE_NAMES[kind]));
  return map;
}

/** Parses and type-checks once; the returned evaluator is reused for every enterprise. */
export function compileCel(expression: string, scope: CelScope): CompiledCel {
  const env = environmentFor(scope);
  let program: ReturnType<Environment['parse']>;
  try {
    program = env.parse(expression);
  } catch (error) {
    throw new CelCompileError(`CEL does not parse: ${firstLine(error)}`, expression);
  }
  const checked = program.check();
  if (!checked.valid) throw new CelCompileError(`CEL type error: ${firstLine(checked.error)}`, expression);
  if (checked.type !== 'bool') throw new CelCompileError(`CEL condition must be a bool, this one gives ${checked.type}`, expression);
  return {
    source: expression,
    evaluate(context) {
      let value: unknown;
      try {
        value = program(context);
      } catch (error) {
        throw new CelRuntimeError(`CEL failed on ${JSON.stringify(expression)}: ${firstLine(error)}`, expression);
      }
      if (typeof value !== 'boolean') throw new CelRuntimeError(`CEL ${JSON.stringify(expression)} gave ${typeof value}, not a bool`, expression);
      return value;
    },
  };
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0]?.trim() ?? message;
}

/** Variables names the scope offers, for error messages telling the analyst what exists. */
export function variablesOf(scope: CelScope): string[] {
  const common = ['enterprise', 'standing', 'period', 'as_of', ...Object.values(LIST_NAMES)];
  if (scope.kind === 'record') return ['record', ...common];
  if (scope.kind === 'rating') return [...common, 'score', 'level', 'vetoes', 'bonuses', 'deduction_points', 'bonus_points'];
  return common;
}
