import {
  coerceInputValue,
  getNamedType,
  getNullableType,
  getOperationAST,
  GraphQLError,
  isEnumType,
  isInputObjectType,
  isInputType,
  isListType,
  isNonNullType,
  Kind,
  typeFromAST,
  visit,
  type DocumentNode,
  type ExecutionResult,
  type GraphQLInputType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type ValueNode,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';

/**
 * `field` and `expected` on the errors graphql-js raises for input that does not fit the schema,
 * as the application's own VALIDATION_FAILED errors carry them (src/errors.ts): a client can point
 * at the input and say what would have been accepted, whichever layer refused it.
 */

/** Where each variable, and each literal value, goes in the document's arguments: `input.violationType`, `creditCodes[3]`. */
interface ArgumentPlaces {
  variables: Map<string, Set<string>>;
  values: Map<ValueNode, string>;
}

/** Per parsed document: yoga's parser cache hands the same DocumentNode to every request sending the same text. */
const placesByDocument = new WeakMap<DocumentNode, ArgumentPlaces>();

function argumentPlaces(document: DocumentNode): ArgumentPlaces {
  let places = placesByDocument.get(document);
  if (!places) {
    places = argumentPlacesUncached(document);
    placesByDocument.set(document, places);
  }
  return places;
}

function argumentPlacesUncached(document: DocumentNode): ArgumentPlaces {
  const places: ArgumentPlaces = { variables: new Map(), values: new Map() };
  // Iterative: a literal may nest as deep as the nesting guard allows.
  const stack: [ValueNode, string][] = [];
  visit(document, {
    Argument(node) {
      stack.push([node.value, node.name.value]);
    },
  });
  while (stack.length > 0) {
    const [value, path] = stack.pop()!;
    places.values.set(value, path);
    if (value.kind === Kind.VARIABLE) {
      const name = value.name.value;
      places.variables.set(name, (places.variables.get(name) ?? new Set()).add(path));
    } else if (value.kind === Kind.LIST) {
      value.values.forEach((item, i) => stack.push([item, `${path}[${i}]`]));
    } else if (value.kind === Kind.OBJECT) {
      for (const field of value.fields) stack.push([field.value, `${path}.${field.name.value}`]);
    }
  }
  return places;
}

const pathText = (path: readonly (string | number)[]) => path.map((key) => (typeof key === 'number' ? `[${key}]` : `.${key}`)).join('');

/**
 * A variable used in one place is named by that place (`input.violationType`); one used in several,
 * or in none, by itself (`$i.violationType`, as the NUL refusal names it).
 */
function fieldOf(places: ArgumentPlaces, variable: string, path: readonly (string | number)[]): string {
  const used = places.variables.get(variable);
  const base = used?.size === 1 ? [...used][0]! : `$${variable}`;
  return base + pathText(path);
}

/** The declared type at a path inside a variable's value; undefined past what the type declares. */
function typeAt(type: GraphQLInputType, path: readonly (string | number)[]): GraphQLInputType | undefined {
  let current: GraphQLInputType | undefined = type;
  for (const key of path) {
    if (!current) return undefined;
    const nullable: GraphQLInputType = getNullableType(current);
    if (typeof key === 'number') current = isListType(nullable) ? (nullable.ofType as GraphQLInputType) : undefined;
    else current = isInputObjectType(nullable) ? nullable.getFields()[key]?.type : undefined;
  }
  return current;
}

interface VariableProblem {
  variable: string;
  path: readonly (string | number)[];
  type: GraphQLInputType | undefined;
  /** graphql-js's own error for the value (without the "Variable … got invalid value" prefix). */
  error?: GraphQLError;
}

/**
 * The problems graphql-js's coerceVariableValues (graphql/execution/values.js) reports, in the same
 * order and by the same steps, with the path and type its messages only spell out in text.
 */
function variableProblems(schema: GraphQLSchema, operation: OperationDefinitionNode, inputs: Record<string, unknown>): VariableProblem[] {
  const problems: VariableProblem[] = [];
  for (const definition of operation.variableDefinitions ?? []) {
    const variable = definition.variable.name.value;
    const declared = typeFromAST(schema, definition.type);
    if (!isInputType(declared)) {
      problems.push({ variable, path: [], type: undefined });
      continue;
    }
    if (!Object.hasOwn(inputs, variable)) {
      if (!definition.defaultValue && isNonNullType(declared)) problems.push({ variable, path: [], type: declared });
      continue;
    }
    const value = inputs[variable];
    if (value === null && isNonNullType(declared)) {
      problems.push({ variable, path: [], type: declared });
      continue;
    }
    coerceInputValue(value, declared, (path, _invalid, error) => problems.push({ variable, path, type: declared, error }));
  }
  return problems;
}

const MISSING_FIELD = /^Field "([^"]+)" of required type "([^"]+)" was not provided\./;
const UNKNOWN_FIELD = /^Field "([^"]+)" is not defined by type "([^"]+)"\./;

/**
 * Where the problem is and what would fit. An enum's values are listed outside production only:
 * production gives no suggestions (docs/SECURITY.md, schema discovery), so it names the enum type.
 */
function describe(problem: VariableProblem, places: ArgumentPlaces, production: boolean): { field: string; expected: string } {
  const { variable, path, type, error } = problem;
  const field = fieldOf(places, variable, path);
  const at = type && typeAt(type, path);
  // An input object's missing or unknown field is reported at the object; name the field itself.
  const missing = error && MISSING_FIELD.exec(error.message);
  if (missing) return { field: `${field}.${missing[1]}`, expected: `a value of type ${missing[2]}` };
  const unknown = error && UNKNOWN_FIELD.exec(error.message);
  if (unknown) {
    const object = at && getNullableType(at);
    const fields = !production && object && isInputObjectType(object) ? `: ${Object.keys(object.getFields()).join(', ')}` : '';
    return { field: `${field}.${unknown[1]}`, expected: `only the fields of ${unknown[2]}${fields}` };
  }
  const named = at && getNamedType(at);
  if (named && isEnumType(named)) {
    return { field, expected: production ? `a ${named.name} value` : `one of ${named.getValues().map((v) => v.name).join(', ')}` };
  }
  // A scalar of ours (Date, DateTime) says itself what it accepts.
  const own = error?.extensions?.expected;
  return { field, expected: typeof own === 'string' ? own : at ? `a value of type ${String(at)}` : 'a value of the declared type' };
}

/** Adds what is missing; a detail an error already carries (a scalar's `expected`) is kept. */
function addDetails(error: GraphQLError, details: Record<string, unknown>): void {
  const extensions = error.extensions as Record<string, unknown>;
  for (const [key, value] of Object.entries(details)) if (extensions[key] === undefined) extensions[key] = value;
}

const COERCION_ERROR = /^Variable "\$/;

/** A variable that does not fit its type fails the request before any field runs: errors, no data. */
function coercionErrorsOf(result: unknown): GraphQLError[] {
  if (!result || typeof result !== 'object' || Symbol.asyncIterator in result) return [];
  const single = result as ExecutionResult;
  if (single.data != null || !single.errors) return [];
  return single.errors.filter((error) => COERCION_ERROR.test(error.message));
}

/**
 * Variable coercion errors get `field` (where the value goes in the operation, e.g.
 * `input.violationType`), `expected` and BAD_USER_INPUT; errors on literal argument values found at
 * validation (a Date or DateTime written in the document) get `field`. Runs before the audit
 * plugin's onExecuteDone, so the audit row records the code the client sees.
 */
export function inputErrorDetails(production: boolean): Plugin {
  return {
    onValidate({ params }) {
      return ({ result }) => {
        if (result.length === 0) return;
        const places = argumentPlaces(params.documentAST);
        for (const error of result) {
          const place = error.nodes?.[0] && places.values.get(error.nodes[0] as ValueNode);
          if (place !== undefined) addDetails(error, { field: place });
        }
      };
    },
    onExecute({ args }) {
      return {
        onExecuteDone({ result }) {
          const errors = coercionErrorsOf(result);
          if (errors.length === 0) return;
          const operation = getOperationAST(args.document, args.operationName ?? undefined);
          if (!operation) return;
          const problems = variableProblems(args.schema, operation, (args.variableValues ?? {}) as Record<string, unknown>);
          const places = argumentPlaces(args.document);
          // graphql-js stops after 50 errors; pair each with its problem while the two lists agree.
          for (const [i, error] of errors.entries()) {
            const problem = problems[i];
            if (!problem || !error.message.startsWith(`Variable "$${problem.variable}" `)) break;
            addDetails(error, { code: 'BAD_USER_INPUT', ...describe(problem, places, production) });
            // The audit (src/audit/plugin.ts errorCodeFor) reads the code of the error graphql-js wrapped.
            if (error.originalError instanceof GraphQLError) addDetails(error.originalError, { code: error.extensions.code });
          }
        },
      };
    },
  };
}
