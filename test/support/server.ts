import { GraphQLClient } from 'graphql-request';
import { mintDevelopmentToken, type MintOptions } from '../../src/auth/jwt.ts';
import type { Clock } from '../../src/clock.ts';
import { loadConfig, type Config } from '../../src/config.ts';
import { startService, type RunningService } from '../../src/service.ts';
import { createTestDatabase, type TestDatabase } from './db.ts';

export const TEST_JWT_SECRET = 'test-secret-that-is-long-enough-for-hs256-0123456789';

export interface TestServer {
  service: RunningService;
  database: TestDatabase;
  config: Config;
  endpoint: string;
  token(options: MintOptions): string;
  /** A graphql-request client; anonymous without options. */
  client(options?: MintOptions): GraphQLClient;
  /** The server's clock; `advance` moves legal time forward (e.g. past a publicity period). */
  clock: ManualClock;
  stop(): Promise<void>;
}

export class ManualClock implements Clock {
  private offsetMs = 0;
  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }
  advance(ms: number): void {
    this.offsetMs += ms;
  }
}

/** The real HTTP server on an ephemeral port, over a fresh database of its own. */
export async function startTestServer(env: Record<string, string> = {}): Promise<TestServer> {
  const database = await createTestDatabase();
  const config = loadConfig({ NODE_ENV: 'test', PORT: '0', LOG_LEVEL: 'silent', JWT_SECRET: TEST_JWT_SECRET, SEED_DEMO: 'false', ...env });
  const clock = new ManualClock();
  const service = await startService({ config, database, clock });
  const endpoint = `${service.url}/graphql`;
  const token = (options: MintOptions) => mintDevelopmentToken(config, options);
  return {
    service,
    database,
    config,
    clock,
    endpoint,
    token,
    client: (options) =>
      new GraphQLClient(endpoint, options ? { headers: { authorization: `Bearer ${token(options)}` } } : {}),
    async stop() {
      await service.stop();
      await database.dispose();
    },
  };
}

/** The `extensions` of the first GraphQL error of a rejected graphql-request call. */
export async function graphqlError(promise: Promise<unknown>): Promise<{ message: string; extensions: Record<string, any> }> {
  try {
    await promise;
  } catch (error) {
    const first = (error as { response?: { errors?: { message: string; extensions: Record<string, any> }[] } }).response?.errors?.[0];
    if (first) return first;
    throw error;
  }
  throw new Error('expected the request to fail with a GraphQL error, but it succeeded');
}
