/**
 * Who may call what: every Query and Mutation field of the built schema has a row in ACCESS below,
 * and each row is exercised against the real server as each of eight callers. A root field with no
 * row fails this file, so a new field cannot ship without a decision about who may use it; a type
 * whose fields carry no authScopes rule (and is not declared public here) fails it too.
 */
import {
  getNamedType,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  isUnionType,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLObjectType,
  type GraphQLOutputType,
} from 'graphql';
import { gql } from 'graphql-request';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MintOptions } from '../../src/auth/jwt.ts';
import { withCheckCharacter } from '../../src/evidence/credit-code.ts';
import { buildSchema } from '../../src/graphql/schema.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

const CALLERS = [
  'anonymous',
  'bureau_admin',
  'bureau_officer',
  'bank',
  'insurer',
  'finance',
  'enterprise-self',
  'enterprise-other',
] as const;
type Caller = (typeof CALLERS)[number];

const SELF = withCheckCharacter('91220681MA1000101');
const OTHER = withCheckCharacter('91220681MA1000102');

const TOKENS: Record<Exclude<Caller, 'anonymous'>, MintOptions> = {
  bureau_admin: { role: 'bureau_admin', org: 'linjiang-eeb', subject: 'admin-1' },
  bureau_officer: { role: 'bureau_officer', org: 'linjiang-eeb', subject: 'officer-1' },
  bank: { role: 'bank', org: 'bank-a', subject: 'bank-user-1' },
  insurer: { role: 'insurer', org: 'insurer-a', subject: 'insurer-user-1' },
  finance: { role: 'finance', org: 'finance-bureau', subject: 'finance-user-1' },
  'enterprise-self': { role: 'enterprise', creditCode: SELF, subject: 'ent-self' },
  'enterprise-other': { role: 'enterprise', creditCode: OTHER, subject: 'ent-other' },
};

// Access groups, least privilege (issue 7, item 2).
const EVERYONE: readonly Caller[] = CALLERS;
const BUREAU: readonly Caller[] = ['bureau_admin', 'bureau_officer'];
const BUREAU_ADMIN: readonly Caller[] = ['bureau_admin'];
const INSTITUTIONS: readonly Caller[] = ['bank', 'insurer', 'finance'];
const BUREAU_OR_SELF: readonly Caller[] = [...BUREAU, 'enterprise-self'];
const BUREAU_OR_INSTITUTIONS: readonly Caller[] = [...BUREAU, ...INSTITUTIONS];
const AUTHENTICATED: readonly Caller[] = CALLERS.filter((c) => c !== 'anonymous');

interface Access {
  /** Callers that must get past authorization; every other caller must be refused. */
  allow: readonly Caller[];
  /** Argument values where the generated ones (SELF for credit codes) would not reach the check. */
  args?: Record<string, unknown>;
}

/**
 * The declared matrix. `SELF` is the enterprise-self caller's credit code: generated arguments name
 * it wherever a credit code is asked for, so "enterprise-self" and "enterprise-other" differ only in
 * whose enterprise the operation is about.
 */
const ACCESS: Record<string, Access> = {
  // enterprises and evidence
  'Query.enterprise': { allow: EVERYONE },
  'Query.enterprises': { allow: BUREAU },
  'Mutation.registerEnterprise': { allow: BUREAU },
  'Mutation.reviseEnterprise': { allow: BUREAU },
  'Mutation.recordViolation': { allow: BUREAU },
  'Mutation.recordEmission': { allow: BUREAU },
  'Mutation.recordCleanProductionAudit': { allow: BUREAU },
  'Mutation.recordInformationDisclosure': { allow: BUREAU },
  'Mutation.recordVerifiedComplaint': { allow: BUREAU },
  'Mutation.recordPermitExecutionReport': { allow: BUREAU },
  'Mutation.withdrawEvidence': { allow: BUREAU },
  'Mutation.importEvidence': { allow: BUREAU, args: { kind: 'DISCLOSURES', format: 'NDJSON', content: '', dryRun: true } },
  // rules: published, readable by anyone
  'Query.ruleSets': { allow: EVERYONE },
  'Query.ruleSet': { allow: EVERYONE },
  // ratings and rating runs
  'Query.ratingPreview': { allow: BUREAU },
  'Query.ratingRun': { allow: EVERYONE }, // the run's own type rule hides unpublished runs
  'Query.compareRatingRuns': { allow: BUREAU },
  'Query.verifyRatingRun': { allow: BUREAU },
  'Mutation.startRatingRun': { allow: BUREAU },
  'Mutation.beginPublicity': { allow: BUREAU_ADMIN },
  'Mutation.publishRatingRun': { allow: BUREAU_ADMIN },
  'Mutation.withdrawRatingRun': { allow: BUREAU_ADMIN },
  // objections: the enterprise files its own, the bureau decides
  'Mutation.fileObjection': { allow: ['enterprise-self'] },
  'Mutation.decideObjection': { allow: BUREAU },
  'Query.objection': { allow: BUREAU, args: { id: 'objection:1' } },
  // lookups (issue 6): asked for LOAN, which only the bank and the bureau may ask about (test/e2e/lookups.test.ts tries every purpose)
  'Query.creditCheck': { allow: [...BUREAU, 'bank'], args: { purpose: 'LOAN' } },
  'Query.creditChecks': { allow: [...BUREAU, 'bank'], args: { purpose: 'LOAN' } },
  'Query.creditInquiries': { allow: BUREAU_OR_INSTITUTIONS }, // institutions: their own inquiries only
  'Query.myInquiries': { allow: ['enterprise-self', 'enterprise-other'] }, // each enterprise: who checked it
  'Query.watchList': { allow: INSTITUTIONS },
  'Query.watchChanges': { allow: INSTITUTIONS },
  'Mutation.watch': { allow: INSTITUTIONS },
  'Mutation.unwatch': { allow: INSTITUTIONS },
  // audit (issue 7): the hash-chained audit log, bureau_admin only
  'Query.auditLog': { allow: BUREAU_ADMIN },
  // registers (issue 5)
  'Query.blacklist': { allow: EVERYONE },
  'Query.leaders': { allow: EVERYONE },
  'Query.registerProposals': { allow: BUREAU },
  'Mutation.decideRegisterProposal': { allow: BUREAU_ADMIN },
  'Mutation.decideBlacklist': { allow: BUREAU_ADMIN },
  'Mutation.decideLeader': { allow: BUREAU_ADMIN },
  'Mutation.applyForCreditRepair': { allow: BUREAU_OR_SELF },
  'Mutation.decideCreditRepair': { allow: BUREAU_ADMIN },
};
// Referenced so the groups the issue names are ready for the fields other work adds.
void [BUREAU_OR_SELF, BUREAU_OR_INSTITUTIONS, AUTHENTICATED];

/**
 * Object types that are public by design and may be reached from anywhere without a rule. (Types
 * reached only through guarded fields, such as relay connections and edges, need no entry.)
 */
const PUBLIC_TYPES: Record<string, string> = {
  PageInfo: 'relay paging metadata: cursors and has-more flags, no data of its own',
};

const schema = buildSchema();

type ScopeCarrier = { extensions: { pothosOptions?: { authScopes?: unknown } } | null | undefined };
/** Pothos scope-auth keeps the `authScopes` option (object or function) on the type's / field's extensions. */
const authScopesOf = (node: ScopeCarrier): unknown => (node.extensions as any)?.pothosOptions?.authScopes;

/** `{ public: true }` and nothing else: a rule that lets everyone through. */
function isPublicRule(rule: unknown): boolean {
  return typeof rule === 'object' && rule !== null && Object.entries(rule).every(([k, v]) => k === 'public' && v === true);
}

/** For a relay XxxConnection or XxxEdge, the node type. */
function relayNode(type: GraphQLObjectType): GraphQLObjectType | undefined {
  const fields = type.getFields();
  if (/Edge$/.test(type.name) && fields.node) {
    const node = getNamedType(fields.node.type);
    return isObjectType(node) ? node : undefined;
  }
  if (/Connection$/.test(type.name) && fields.edges) {
    const edge = getNamedType(fields.edges.type);
    return isObjectType(edge) ? relayNode(edge) : undefined;
  }
  return undefined;
}

function rootFields(): { key: string; operation: 'query' | 'mutation'; field: GraphQLField<unknown, unknown> }[] {
  const fields = [];
  for (const [operation, type] of [
    ['query', schema.getQueryType()],
    ['mutation', schema.getMutationType()],
  ] as const) {
    for (const field of Object.values(type?.getFields() ?? {})) {
      fields.push({ key: `${type!.name}.${field.name}`, operation, field });
    }
  }
  return fields;
}

// ---------------------------------------------------------------------------------------------
// Minimal operations, generated from the schema

const SAMPLE_BY_SCALAR: Record<string, unknown> = {
  Int: 1,
  Float: 1,
  Boolean: false,
  ID: '1',
  Date: '2025-06-30',
  DateTime: '2025-06-30T00:00:00Z',
};

function sampleString(name: string): string {
  if (/creditcode|^code$/i.test(name)) return SELF;
  if (/Date$|On$|^date$/.test(name)) return '2025-06-30';
  return 'x';
}

/** A value of `type` that passes GraphQL coercion (whether the resolver accepts it is not the point). */
function sampleValue(type: GraphQLInputType, name: string, depth = 0): unknown {
  if (isNonNullType(type)) return sampleValue(type.ofType, name, depth);
  if (isListType(type)) return [sampleValue(type.ofType, name, depth)];
  if (isEnumType(type)) return type.getValues()[0]!.name;
  if (isInputObjectType(type)) {
    const value: Record<string, unknown> = {};
    for (const field of Object.values(type.getFields())) {
      const required = isNonNullType(field.type) && field.defaultValue === undefined;
      if (required || /creditcode/i.test(field.name)) value[field.name] = sampleValue(field.type, field.name, depth + 1);
    }
    return value;
  }
  if (isScalarType(type)) {
    if (type.name === 'String') return sampleString(name);
    return type.name in SAMPLE_BY_SCALAR ? SAMPLE_BY_SCALAR[type.name] : 'x';
  }
  throw new Error(`no sample for ${String(type)}`);
}

/**
 * A selection that makes the server resolve at least one real field of the returned object (so a
 * type-level authScopes rule runs too): a scalar without arguments or rules of its own, else through
 * connections to their nodes, else __typename.
 */
function selectionFor(type: GraphQLOutputType, depth = 0): string {
  const named = getNamedType(type);
  if (isScalarType(named) || isEnumType(named)) return '';
  if (isUnionType(named) || isInterfaceType(named) || depth > 4) return '{ __typename }';
  const object = named as GraphQLObjectType;
  const fields = Object.values(object.getFields());
  const plain = (f: GraphQLField<unknown, unknown>) => f.args.every((a) => !isNonNullType(a.type) || a.defaultValue !== undefined);
  const scalar = fields.find((f) => {
    const n = getNamedType(f.type);
    return (isScalarType(n) || isEnumType(n)) && plain(f) && authScopesOf(f) === undefined && f.name !== 'cursor';
  });
  if (scalar) return `{ __typename ${scalar.name} }`;
  const edges = object.getFields().edges;
  if (edges) {
    const node = (getNamedType(edges.type) as GraphQLObjectType).getFields().node;
    if (node) return `{ edges { node ${selectionFor(node.type, depth + 2)} } }`;
  }
  const child = fields.find((f) => isObjectType(getNamedType(f.type)) && plain(f) && authScopesOf(f) === undefined);
  return child ? `{ __typename ${child.name} ${selectionFor(child.type, depth + 1)} }` : '{ __typename }';
}

function operationFor(operation: 'query' | 'mutation', field: GraphQLField<unknown, unknown>, overrides: Record<string, unknown> = {}) {
  const variables: Record<string, unknown> = {};
  const declarations: string[] = [];
  const passed: string[] = [];
  for (const arg of field.args) {
    const required = isNonNullType(arg.type) && arg.defaultValue === undefined;
    if (!required && !(arg.name in overrides) && !/creditcode/i.test(arg.name)) continue;
    variables[arg.name] = arg.name in overrides ? overrides[arg.name] : sampleValue(arg.type, arg.name);
    declarations.push(`$${arg.name}: ${String(arg.type)}`);
    passed.push(`${arg.name}: $${arg.name}`);
  }
  const vars = declarations.length ? `(${declarations.join(', ')})` : '';
  const args = passed.length ? `(${passed.join(', ')})` : '';
  return { query: `${operation} Probe${vars} { ${field.name}${args} ${selectionFor(field.type)} }`, variables };
}

// ---------------------------------------------------------------------------------------------

let server: TestServer;

interface Answer {
  status: number;
  errors: { message: string; path?: (string | number)[]; extensions?: { code?: string } }[];
}

async function send(caller: Caller, body: { query: string; variables: Record<string, unknown> }): Promise<Answer> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (caller !== 'anonymous') headers.authorization = `Bearer ${server.token(TOKENS[caller])}`;
  const response = await fetch(server.endpoint, { method: 'POST', headers, body: JSON.stringify(body) });
  const json = (await response.json()) as { errors?: Answer['errors'] };
  return { status: response.status, errors: json.errors ?? [] };
}

beforeAll(async () => {
  // Generous rate limits: this file sends one request per field and caller.
  server = await startTestServer({ RATE_LIMIT_PER_MINUTE: '100000', RATE_LIMIT_ANONYMOUS_PER_MINUTE: '100000' });
  const officer = server.client(TOKENS.bureau_officer);
  const register = gql`
    mutation ($input: EnterpriseInput!) { registerEnterprise(input: $input) { created } }
  `;
  await officer.request(register, { input: { creditCode: SELF, name: '临江市自查矿业有限公司', region: '大栗子街道', industry: 'B08' } });
  await officer.request(register, { input: { creditCode: OTHER, name: '临江市他方水电有限公司', region: '四道沟镇', industry: 'D4413' } });
  await officer.request(
    gql`mutation ($input: RecordViolationInput!) { recordViolation(input: $input) { created } }`,
    {
      input: {
        creditCode: SELF,
        source: 'penalty-register',
        sourceId: 'PR-MATRIX-1',
        decisionNumber: '临环罚〔2025〕99号',
        decidedOn: '2025-03-14',
        violationType: 'EXCEEDING_STANDARDS',
        legalBasis: '《中华人民共和国大气污染防治法》第九十九条',
        fineCny: 50000,
        measures: ['CORRECTION_ORDER'],
      },
    },
  );
});

afterAll(() => server?.stop());

describe('the declared matrix covers the schema', () => {
  it('has a row for every Query and Mutation field, and no row for a field that does not exist', () => {
    const keys = rootFields().map((f) => f.key);
    const missing = keys.filter((k) => !(k in ACCESS));
    expect(missing, `root fields without a row in ACCESS (decide who may call them): ${missing.join(', ')}`).toEqual([]);
    const stale = Object.keys(ACCESS).filter((k) => !keys.includes(k));
    expect(stale, `rows in ACCESS for fields the schema no longer has: ${stale.join(', ')}`).toEqual([]);
  });

  it('gives every root field an explicit authScopes rule (public ones say { public: true })', () => {
    const bare = rootFields().filter((f) => authScopesOf(f.field) === undefined).map((f) => f.key);
    expect(bare).toEqual([]);
  });

  it('puts a rule on every field of every object type: on the field, on its type, or on every way in', () => {
    // A type is "restricted" when it has a non-public rule of its own or can only be reached through
    // restricting fields (a Pothos type rule runs before any field of that object resolves, so what
    // hangs below inherits it); "declared" when it is public by its own rule or by PUBLIC_TYPES.
    // A field passes when it has a rule of its own or its type is restricted or declared. Reaching a
    // type through a public field does not make it public: that needs a decision on the type.
    const types = Object.values(schema.getTypeMap()).filter(
      (t): t is GraphQLObjectType => isObjectType(t) && !t.name.startsWith('__'),
    );
    const roots = new Set<GraphQLObjectType>([schema.getQueryType()!, schema.getMutationType()!].filter(Boolean));
    const incoming = new Map<string, { parent: GraphQLObjectType; field: GraphQLField<unknown, unknown> }[]>();
    for (const parent of types) {
      for (const field of Object.values(parent.getFields())) {
        const target = getNamedType(field.type);
        const reached = isUnionType(target) ? target.getTypes() : isInterfaceType(target) ? schema.getPossibleTypes(target) : isObjectType(target) ? [target] : [];
        for (const type of reached) incoming.set(type.name, [...(incoming.get(type.name) ?? []), { parent, field }]);
      }
    }
    const state = new Map<string, 'restricted' | 'declared'>();
    for (const type of types) {
      const rule = authScopesOf(type);
      if (rule !== undefined) state.set(type.name, isPublicRule(rule) ? 'declared' : 'restricted');
      else if (type.name in PUBLIC_TYPES) state.set(type.name, 'declared');
    }
    const restricting = (parent: GraphQLObjectType, field: GraphQLField<unknown, unknown>) => {
      const rule = authScopesOf(field);
      return rule !== undefined ? !isPublicRule(rule) : state.get(parent.name) === 'restricted';
    };
    for (let changed = true; changed; ) {
      changed = false;
      for (const type of types) {
        if (state.has(type.name) || roots.has(type)) continue;
        // Relay connections and edges carry no data of their own: they are as guarded as their node.
        const node = relayNode(type);
        if (node && state.has(node.name)) {
          state.set(type.name, state.get(node.name)!);
          changed = true;
          continue;
        }
        const ways = incoming.get(type.name) ?? [];
        if (ways.length > 0 && ways.every(({ parent, field }) => restricting(parent, field))) {
          state.set(type.name, 'restricted');
          changed = true;
        }
      }
    }
    const uncovered: string[] = [];
    for (const type of types) {
      if (roots.has(type) || state.has(type.name)) continue;
      for (const field of Object.values(type.getFields())) {
        if (authScopesOf(field) === undefined) uncovered.push(`${type.name}.${field.name}`);
      }
    }
    expect(uncovered, 'fields with no rule on themselves, their type or every way in; add authScopes or list the type in PUBLIC_TYPES').toEqual([]);
  });
});

describe('each caller is allowed or refused as declared', () => {
  const fields = rootFields().filter((f) => f.key in ACCESS);
  it.each(fields.map((f) => [f.key, f] as const))('%s', async (_key, { key, operation, field }) => {
    const access = ACCESS[key]!;
    const body = operationFor(operation, field, access.args);
    const outcomes: string[] = [];
    for (const caller of CALLERS) {
      const answer = await send(caller, body);
      const codes = answer.errors.map((e) => e.extensions?.code ?? 'NO_CODE');
      const refused = codes.filter((c) => c === 'UNAUTHENTICATED' || c === 'FORBIDDEN');
      expect(answer.status, `${key} as ${caller}: ${JSON.stringify(answer.errors)}`).toBeLessThan(500);
      // The generated operation must reach execution, or the check would prove nothing.
      const requestLevel = codes.filter((c) => /^GRAPHQL_|^BAD_USER_INPUT$|^BAD_REQUEST$/.test(c));
      expect(requestLevel, `${key} as ${caller}: the probe did not execute: ${JSON.stringify(answer.errors)}\n${body.query}`).toEqual([]);
      if (access.allow.includes(caller)) {
        if (refused.length) outcomes.push(`${caller}: expected to be allowed, got ${refused.join(', ')}`);
      } else {
        const expected = caller === 'anonymous' ? 'UNAUTHENTICATED' : 'FORBIDDEN';
        if (!refused.includes(expected)) outcomes.push(`${caller}: expected ${expected}, got ${codes.join(', ') || 'success'}`);
        if (refused.some((c) => c !== expected)) outcomes.push(`${caller}: expected only ${expected}, got ${refused.join(', ')}`);
      }
    }
    expect(outcomes, `${key}\n${body.query}\n${JSON.stringify(body.variables)}`).toEqual([]);
  });
});
