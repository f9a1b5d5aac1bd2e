import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { builder } from './builder.ts';
import './scalars.ts';
import '../evidence/enterprise-schema.ts';
import '../evidence/evidence-schema.ts';
import '../rules/rules-schema.ts';
import '../rating/rating-schema.ts';
import '../rating/run-schema.ts';
import '../rating/dynamic.ts';
import '../rating/correction.ts';
import '../registers/register-schema.ts';
import '../import/import-schema.ts';
import '../lookups/lookup-schema.ts';
import '../audit/audit-schema.ts';

let built: GraphQLSchema | undefined;

/** The whole GraphQL schema; each domain folder adds its types by being imported above. */
export function buildSchema(): GraphQLSchema {
  built ??= builder.toSchema({ sortSchema: true });
  return built;
}

/** The SDL as committed in schema/schema.graphql. */
export function printSchemaSdl(): string {
  return `${printSchema(lexicographicSortSchema(buildSchema()))}\n`;
}
