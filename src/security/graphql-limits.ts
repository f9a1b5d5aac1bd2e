import { blockFieldSuggestionsPlugin } from '@escape.tech/graphql-armor-block-field-suggestions';
import { costLimitPlugin, costLimitRule } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesPlugin } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthPlugin } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesPlugin } from '@escape.tech/graphql-armor-max-directives';
import { maxTokensPlugin } from '@escape.tech/graphql-armor-max-tokens';
import { useCSRFPrevention } from '@graphql-yoga/plugin-csrf-prevention';
import { useDisableIntrospection } from '@graphql-yoga/plugin-disable-introspection';
import {
  getOperationAST,
  getVariableValues,
  Kind,
  validate,
  visit,
  type ArgumentNode,
  type DocumentNode,
  type GraphQLError,
  type GraphQLSchema,
  type OperationDefinitionNode,
  TypeInfo,
  type ValidationRule,
  type ValueNode,
  visitWithTypeInfo,
} from 'graphql';
import { createGraphQLError, processRegularResult, type FetchAPI, type Plugin, type YogaServerOptions } from 'graphql-yoga';
import type { Config, Limits } from '../config.ts';
import { appError } from '../errors.ts';
import { inputErrorDetails } from './input-errors.ts';
import { DEFAULT_PAGE_SIZE } from '../graphql/pagination.ts';

/**
 * Codes the security layer adds to the ones in src/errors.ts. Every answer the GraphQL endpoint
 * gives carries one of them (or an application code) in `extensions.code`.
 */
export type SecurityErrorCode =
  | 'QUERY_TOO_COMPLEX' // depth, aliases, tokens, directives, nesting or cost over the limit (400)
  | 'RATE_LIMITED' // too many requests for this principal or client address (429)
  | 'CSRF_HEADER_REQUIRED' // a browser-"simple" request without the CSRF header (403)
  | 'REQUEST_ENTITY_TOO_LARGE' // body over MAX_REQUEST_BODY_BYTES (413, set by yoga)
  | 'UNSUPPORTED_MEDIA_TYPE' // POST with a content type the endpoint does not read (415)
  | 'NOT_ACCEPTABLE' // an Accept header no response format satisfies (answered in JSON, 406)
  | 'METHOD_NOT_ALLOWED' // neither GET nor POST (405)
  | 'BAD_REQUEST' // malformed HTTP request, bad JSON, missing query (400, mostly set by yoga)
  | 'BAD_USER_INPUT' // variables that do not fit their declared types (400)
  | 'GRAPHQL_PARSE_FAILED' // document syntax error (400, set by yoga)
  | 'GRAPHQL_VALIDATION_FAILED' // document does not match the schema, or introspection when disabled (400)
  | 'INTERNAL_SERVER_ERROR'; // masked unexpected error, with an errorId (see maskError in server.ts)

/** The header a browser cannot set on a cross-site "simple" request without a CORS preflight. */
export const CSRF_HEADER = 'x-graphql-yoga-csrf';

type LimitName = 'depth' | 'aliases' | 'tokens' | 'directives' | 'cost';

/**
 * graphql-armor throws its own GraphQLError ("Syntax Error: Query depth limit of 10 exceeded…");
 * this turns it, in place, into a QUERY_TOO_COMPLEX client error naming the limit.
 */
function rejectAs(limit: LimitName, max: number): (context: unknown, error: GraphQLError) => void {
  return (_context, error) => {
    error.message = error.message.replace(/^Syntax Error:\s*/, '');
    Object.assign(error.extensions as Record<string, unknown>, {
      code: 'QUERY_TOO_COMPLEX',
      limit,
      max,
      http: { status: 400 },
    });
  };
}

/**
 * How deeply `{ [ (` nest in a document, ignoring strings and comments; stops counting past `limit`.
 * graphql-js parses by recursive descent, so a document of a few hundred nested list literals, well
 * under the token limit, can exhaust the stack before any validation rule sees it.
 */
export function bracketNesting(source: string, limit: number): number {
  let depth = 0;
  let deepest = 0;
  let i = 0;
  const n = source.length;
  while (i < n) {
    const c = source[i]!;
    if (c === '#') {
      while (i < n && source[i] !== '\n' && source[i] !== '\r') i += 1;
    } else if (c === '"') {
      if (source.startsWith('"""', i)) {
        i += 3;
        while (i < n && !(source.startsWith('"""', i) && source[i - 1] !== '\\')) i += 1;
        i += 2;
      } else {
        i += 1;
        while (i < n && source[i] !== '"' && source[i] !== '\n') i += source[i] === '\\' ? 2 : 1;
      }
    } else if (c === '{' || c === '[' || c === '(') {
      depth += 1;
      if (depth > deepest) deepest = depth;
      if (deepest > limit) return deepest;
    } else if (c === '}' || c === ']' || c === ')') {
      depth = Math.max(0, depth - 1);
    }
    i += 1;
  }
  return deepest;
}

/** Refuses over-nested documents before the parser recurses into them. */
function nestingGuard(maxDepth: number): Plugin {
  // Field depth plus room for arguments, input objects and lists at the deepest field.
  const limit = maxDepth * 2 + 32;
  return {
    onParse({ params }) {
      const source = typeof params.source === 'string' ? params.source : params.source.body;
      if (bracketNesting(source, limit) > limit) {
        throw createGraphQLError(`Brackets nested more than ${limit} deep.`, {
          extensions: { code: 'QUERY_TOO_COMPLEX', limit: 'nesting', max: limit, http: { status: 400 } },
        });
      }
    },
  };
}

/** The graphql-armor validation rules, each failing fast (it throws, so validation stops there). */
function armorPlugins(limits: Limits): Plugin[] {
  const common = { exposeLimits: true, propagateOnRejection: true } as const;
  return [
    maxTokensPlugin({ ...common, n: limits.maxTokens, onReject: [rejectAs('tokens', limits.maxTokens)] }),
    maxDepthPlugin({ ...common, n: limits.maxDepth, onReject: [rejectAs('depth', limits.maxDepth)] }),
    maxAliasesPlugin({ ...common, n: limits.maxAliases, onReject: [rejectAs('aliases', limits.maxAliases)] }),
    maxDirectivesPlugin({ ...common, n: limits.maxDirectives, onReject: [rejectAs('directives', limits.maxDirectives)] }),
    costLimitPlugin({ ...common, maxCost: limits.maxCost, onReject: [rejectAs('cost', limits.maxCost)] }),
  ] as Plugin[];
}

/**
 * Per parsed document (yoga's parser cache shares them): whether the armor rule's estimate can be
 * short, because a page size is a variable or a connection is asked for without `first` (its default
 * page is DEFAULT_PAGE_SIZE, which the rule counts as 1).
 */
const pageSizeUnwritten = new WeakMap<DocumentNode, boolean>();

function hasUnwrittenPageSize(schema: GraphQLSchema, document: DocumentNode): boolean {
  let found = pageSizeUnwritten.get(document);
  if (found === undefined) {
    found = false;
    const typeInfo = new TypeInfo(schema);
    visit(
      document,
      visitWithTypeInfo(typeInfo, {
        Field(node) {
          if (takesFirst(typeInfo) && !node.arguments?.some(isPageSizeArgument)) found = true;
        },
        Argument(node) {
          if (isPageSizeArgument(node) && isUnwritten(node)) found = true;
        },
      }),
    );
    pageSizeUnwritten.set(document, found);
  }
  return found;
}

const isPageSizeArgument = (node: ArgumentNode) => node.name.value === 'first' || node.name.value === 'last';
/** A page size the armor rule cannot read: a variable, or a literal null (the default page). */
const isUnwritten = (node: ArgumentNode) => node.value.kind === Kind.VARIABLE || node.value.kind === Kind.NULL;
const takesFirst = (typeInfo: TypeInfo) => typeInfo.getFieldDef()?.args.some((a) => a.name === 'first') ?? false;

/**
 * The executed operation (with the document's fragments) with each `first`/`last` variable written
 * in as the integer it holds, at most `maxPageSize`: every connection refuses a larger page before
 * reading anything (src/graphql/pagination.ts), so that is the most it can cost, and the client gets
 * the page-size error that names `first` rather than a cost refusal. A connection asked for without
 * `first`, or with a variable left null or unset, gets DEFAULT_PAGE_SIZE written in: the page it reads.
 */
function withPageSizesWritten(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode, values: Record<string, unknown>, maxPageSize: number): DocumentNode {
  const only: DocumentNode = { ...document, definitions: document.definitions.filter((d) => d === operation || d.kind === Kind.FRAGMENT_DEFINITION) };
  const written = (value: number): ValueNode => ({ kind: Kind.INT, value: String(Math.min(value, maxPageSize)) });
  const typeInfo = new TypeInfo(schema);
  return visit(
    only,
    visitWithTypeInfo(typeInfo, {
      Field(node) {
        // A connection asked for without `first` reads its default page.
        if (!takesFirst(typeInfo) || node.arguments?.some(isPageSizeArgument)) return undefined;
        const first: ArgumentNode = { kind: Kind.ARGUMENT, name: { kind: Kind.NAME, value: 'first' }, value: written(DEFAULT_PAGE_SIZE) };
        return { ...node, arguments: [...(node.arguments ?? []), first] };
      },
      Argument(node) {
        if (!isPageSizeArgument(node) || !isUnwritten(node)) return undefined;
        const value = node.value.kind === Kind.VARIABLE ? values[node.value.name.value] : null;
        return { ...node, value: written(Number.isSafeInteger(value) ? (value as number) : DEFAULT_PAGE_SIZE) };
      },
    }),
  );
}

/**
 * graphql-armor's cost estimate (a validation rule, so before variables are known) multiplies by
 * `first` only when it is written in the document: `first: $f` counts as 1, and thirty aliases of
 * nested connections with $f = 100 would pass and drain the database pool; a connection without
 * `first` also counts as 1 though it reads a default page of 20. Once the variables are known, such a
 * document is estimated again by the same rule with the page sizes written in, and refused exactly
 * as the literal would have been.
 */
function costWithVariables(maxCost: number, maxPageSize: number): Plugin {
  return {
    onExecute({ args, setResultAndStopExecution }) {
      if (!hasUnwrittenPageSize(args.schema, args.document)) return;
      const operation = getOperationAST(args.document, args.operationName ?? undefined);
      if (!operation) return;
      // Coerced as execution will (defaults applied); variables that do not fit fail there instead.
      const variables = getVariableValues(args.schema, operation.variableDefinitions ?? [], (args.variableValues ?? {}) as Record<string, unknown>);
      if (!variables.coerced) return;
      let refusal: GraphQLError | undefined;
      const rule = costLimitRule({
        maxCost,
        exposeLimits: true,
        propagateOnRejection: false,
        onReject: [rejectAs('cost', maxCost), (_context, error) => void (refusal ??= error)],
      });
      validate(args.schema, withPageSizesWritten(args.schema, args.document, operation, variables.coerced, maxPageSize), [rule as unknown as ValidationRule]);
      if (refusal) setResultAndStopExecution({ errors: [refusal] });
    },
  };
}

const DIGITS = /^\d+$/;

function requestTooLarge(limit: number): GraphQLError {
  return createGraphQLError(`Request body too large: at most ${limit} bytes (MAX_REQUEST_BODY_BYTES)`, {
    extensions: { code: 'REQUEST_ENTITY_TOO_LARGE', max: limit, http: { status: 413 } },
  });
}

/** A request whose body errors with REQUEST_ENTITY_TOO_LARGE once more than `limit` bytes have streamed. */
function countingBody(request: Request, limit: number, fetchAPI: FetchAPI): Request {
  let bytes = 0;
  // A native ReadableStream pipes only into a native TransformStream (graphql-yoga issue 4583).
  const Transform = request.body instanceof ReadableStream ? globalThis.TransformStream : fetchAPI.TransformStream;
  const counted = request.body!.pipeThrough(
    new Transform<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        bytes += chunk.byteLength;
        if (bytes > limit) controller.error(requestTooLarge(limit));
        else controller.enqueue(chunk);
      },
    }),
  );
  return new fetchAPI.Request(request.url, { method: request.method, headers: request.headers, signal: request.signal, body: counted, duplex: 'half' } as RequestInit);
}

/**
 * The body limit (MAX_REQUEST_BODY_BYTES), in place of yoga's. yoga pipes every body through a
 * counting stream, which cost 0.28 ms of a creditCheck's ~4 ms in the bench's profile. Node's HTTP
 * parser never delivers more bytes than a Content-Length header declares (and refuses a request
 * with two of them, or with one and chunked encoding), so a body that declares its length is judged
 * by the header alone; only a chunked body is counted as it streams.
 */
export function requestBodyLimit(limit: number): Plugin {
  return {
    onRequestParse({ request, requestParser, setRequestParser, fetchAPI }) {
      const declared = request.headers.get('content-length');
      if (declared !== null) {
        if (!DIGITS.test(declared)) {
          throw createGraphQLError('Content-Length header is invalid: expected one non-negative integer', {
            extensions: { code: 'BAD_REQUEST', http: { status: 400 } },
          });
        }
        if (Number(declared) > limit) throw requestTooLarge(limit);
        return;
      }
      if (!requestParser || !request.body) return;
      setRequestParser((unlimited) => requestParser(countingBody(unlimited, limit, fetchAPI)));
    },
  };
}

/** yoga's CSRF prevention, with a message that says what to send and a code. */
function csrfPrevention(): Plugin {
  const inner = useCSRFPrevention({ requestHeaders: [CSRF_HEADER] });
  return {
    onRequestParse(payload) {
      try {
        return inner.onRequestParse?.(payload);
      } catch {
        throw createGraphQLError(
          `Cross-site request refused: send "content-type: application/json" or the "${CSRF_HEADER}" header`,
          { extensions: { code: 'CSRF_HEADER_REQUIRED', http: { status: 403 } } },
        );
      }
    },
  };
}

/** Where the first string containing U+0000 is in a variables object, iteratively (no recursion limit). */
/** With the u flag a paired surrogate is one code point, so only a lone one matches. */
const LONE_SURROGATE = /\p{Surrogate}/u;

/** Text PostgreSQL cannot store as sent: U+0000 (refused mid-query) or a lone surrogate (stored as U+FFFD). */
const isUnstorable = (text: string): boolean => text.includes('\u0000') || LONE_SURROGATE.test(text);

function nulPath(variables: unknown): string | undefined {
  const stack: [unknown, string][] = [[variables, '$']];
  while (stack.length > 0) {
    const [value, path] = stack.pop()!;
    if (typeof value === 'string') {
      if (isUnstorable(value)) return path;
    } else if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i -= 1) stack.push([value[i], `${path}[${i}]`]);
    } else if (value !== null && typeof value === 'object') {
      for (const [key, item] of Object.entries(value).reverse()) stack.push([item, path === '$' ? `$${key}` : `${path}.${key}`]);
    }
  }
  return undefined;
}

/** Per parsed document: yoga's parser cache hands the same DocumentNode to every request sending the same text. */
const nulInDocument = new WeakMap<DocumentNode, boolean>();

function documentHasNul(document: DocumentNode): boolean {
  let found = nulInDocument.get(document);
  if (found === undefined) {
    found = documentHasNulUncached(document);
    nulInDocument.set(document, found);
  }
  return found;
}

function documentHasNulUncached(document: DocumentNode): boolean {
  let found = false;
  visit(document, {
    StringValue(node) {
      if (isUnstorable(node.value)) found = true;
    },
  });
  return found;
}

/**
 * PostgreSQL text cannot hold U+0000: a string carrying it would fail deep in a query as an
 * unexpected error. A lone surrogate (JSON "\ud800") is not text either: the driver would store it as
 * U+FFFD, silently changing what was sent. Both are refused up front as VALIDATION_FAILED naming the
 * variable.
 */
function rejectNulCharacters(): Plugin {
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const path = nulPath(args.variableValues);
      const inDocument = path === undefined && documentHasNul(args.document);
      if (path === undefined && !inDocument) return;
      const field = path ?? 'query';
      setResultAndStopExecution({
        errors: [
          appError('VALIDATION_FAILED', `${field}: text must not contain the NUL character (U+0000) or a lone surrogate (U+D800-U+DFFF unpaired)`, {
            field,
            expected: 'valid Unicode text without U+0000',
          }),
        ],
      });
    },
  };
}

const CODE_BY_STATUS: Record<number, SecurityErrorCode | 'FORBIDDEN' | 'NOT_FOUND'> = {
  400: 'BAD_REQUEST',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  406: 'NOT_ACCEPTABLE',
  413: 'REQUEST_ENTITY_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
};

const SUGGESTION = /\s*Did you mean [^?]*\?/g;

interface ErrorLike {
  message: string;
  extensions?: Record<string, unknown>;
}

/** A code for an error that has none, from its HTTP status or, failing that, from what it says. */
function fallbackCode(error: ErrorLike, requestLevel: boolean): string {
  if (/^Variable "\$/.test(error.message)) return 'BAD_USER_INPUT';
  const http = error.extensions?.http as { status?: number } | undefined;
  if (http?.status && CODE_BY_STATUS[http.status]) return CODE_BY_STATUS[http.status]!;
  if (/^Syntax Error/.test(error.message)) return 'GRAPHQL_PARSE_FAILED';
  // Operation selection ("Unknown operation named…", "Must provide operation name…") fails before
  // any field runs; a field error without a code is a server fault (masked in server.ts).
  return requestLevel ? 'BAD_REQUEST' : 'INTERNAL_SERVER_ERROR';
}

/**
 * Last line: every error leaves with a code, suggestions are removed in production (including the
 * ones graphql-js puts in variable and enum coercion messages, which the armor plugin does not see),
 * a request without any readable body gets a GraphQL 415 instead of an empty one, and an Accept
 * header nothing satisfies is answered in JSON with NOT_ACCEPTABLE.
 */
function errorCodes(production: boolean): Plugin {
  const fix = (error: unknown, requestLevel: boolean) => {
    if (typeof error !== 'object' || error === null) return;
    const e = error as ErrorLike;
    if (production && typeof e.message === 'string') {
      const without = e.message.replace(SUGGESTION, '');
      if (without !== e.message) e.message = without;
    }
    if (e.extensions && typeof e.extensions === 'object') {
      if (!e.extensions.code) e.extensions.code = fallbackCode(e, requestLevel);
      // yoga echoes the JSON parser's message for a bad body; production keeps only its own words.
      if (production) delete e.extensions.originalError;
    } else if (Object.isExtensible(e)) {
      (e as { extensions: Record<string, unknown> }).extensions = { code: fallbackCode(e, requestLevel) };
    }
  };
  return {
    onRequestParse({ request, requestParser }) {
      if (requestParser || (request.method !== 'GET' && request.method !== 'POST')) return;
      throw createGraphQLError(
        'Unsupported content type: send a POST with "content-type: application/json" (or a GET with the query in the URL)',
        { extensions: { code: 'UNSUPPORTED_MEDIA_TYPE', http: { status: 415 } } },
      );
    },
    onResponse({ response, setResponse, fetchAPI }) {
      // yoga's own bodiless refusals (404 for a path under /graphql, a bare 405/406/415)
      if (response.status < 400 || response.headers.get('content-type')) return;
      const code = CODE_BY_STATUS[response.status] ?? (response.status === 405 ? 'METHOD_NOT_ALLOWED' : 'BAD_REQUEST');
      const body = JSON.stringify({ errors: [{ message: response.statusText || code, extensions: { code } }] });
      const headers = new fetchAPI.Headers(response.headers);
      headers.set('content-type', 'application/json; charset=utf-8');
      setResponse(new fetchAPI.Response(body, { status: response.status, headers }));
    },
    onResultProcess({ result, resultProcessor, setResult, setResultProcessor }) {
      if (!resultProcessor) {
        setResultProcessor(processRegularResult, 'application/json');
        setResult({
          errors: [
            createGraphQLError('Not acceptable: this endpoint answers application/json or application/graphql-response+json', {
              extensions: { code: 'NOT_ACCEPTABLE', http: { status: 406 } },
            }),
          ],
        });
        return;
      }
      const results = Array.isArray(result) ? result : [result];
      for (const single of results) {
        if (!single || typeof single !== 'object' || !('errors' in single) || !Array.isArray(single.errors)) continue;
        const requestLevel = !('data' in single) || single.data === undefined;
        for (const error of single.errors) fix(error, requestLevel);
      }
    },
  };
}

/**
 * The yoga options that bound what one request can cost: armor limits (the cost estimated again
 * once variables are known), body size, CSRF prevention, no NUL characters in input,
 * no introspection and no suggestions in production, no multipart (no uploads in this API), and a
 * code on every error (with `field` and `expected` on input that does not fit the schema). Spread
 * into createYoga; `plugins` is the whole plugin list.
 *
 * `audit`, when given, is placed where it records every executed operation with the code its
 * client sees: after the plugin that codes input errors (onExecuteDone hooks run in plugin order)
 * and before the guards that refuse at onExecute. A guard that stops execution skips the onExecute
 * of every plugin after it, but hands its refusal to the onExecuteDone of those before it.
 */
export function graphqlHardening(
  config: Pick<Config, 'nodeEnv' | 'limits' | 'maxPageSize'>,
  options: { audit?: Plugin } = {},
): Pick<YogaServerOptions<object, object>, 'plugins' | 'maxRequestBodySize' | 'multipart' | 'batching'> {
  const production = config.nodeEnv === 'production';
  const plugins: Plugin[] = [
    csrfPrevention(),
    nestingGuard(config.limits.maxDepth),
    ...armorPlugins(config.limits),
    inputErrorDetails(production),
    ...(options.audit ? [options.audit] : []),
    rejectNulCharacters(),
    costWithVariables(config.limits.maxCost, config.maxPageSize),
  ];
  if (production) plugins.push(useDisableIntrospection(), blockFieldSuggestionsPlugin() as Plugin);
  // After every plugin that may choose a request parser, so the limit wraps the one chosen.
  plugins.push(requestBodyLimit(config.limits.maxBodyBytes), errorCodes(production));
  return {
    plugins,
    maxRequestBodySize: false, // requestBodyLimit above
    multipart: false,
    batching: false,
  };
}
