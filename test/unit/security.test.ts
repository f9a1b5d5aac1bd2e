import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { bracketNesting } from '../../src/security/graphql-limits.ts';
import { trustLoopbackProxies } from '../../src/security/http-hardening.ts';
import { TokenBucketLimiter } from '../../src/security/token-bucket.ts';

describe('token buckets', () => {
  it('allows a burst up to capacity, then refills continuously', () => {
    let now = 0;
    const limiter = new TokenBucketLimiter(3, 60, () => now); // one token a second
    expect([1, 2, 3].map(() => limiter.take('a').allowed)).toEqual([true, true, true]);
    const refused = limiter.take('a');
    expect(refused).toMatchObject({ allowed: false, remaining: 0, retryAfterSeconds: 1 });
    now += 500;
    expect(limiter.take('a').allowed).toBe(false);
    now += 600;
    expect(limiter.take('a')).toMatchObject({ allowed: true, remaining: 0 });
    now += 60_000;
    expect(limiter.take('a')).toMatchObject({ allowed: true, remaining: 2 }); // never above capacity
  });

  it('keeps keys apart and forgets the least recently used beyond maxKeys', () => {
    const now = 0;
    const limiter = new TokenBucketLimiter(1, 1, () => now, 10);
    expect(limiter.take('a').allowed).toBe(true);
    expect(limiter.take('b').allowed).toBe(true);
    expect(limiter.take('a').allowed).toBe(false);
    for (let i = 0; i < 20; i += 1) limiter.take(`k${i}`);
    expect(limiter.size).toBeLessThanOrEqual(10);
    expect(limiter.take('a').allowed).toBe(true); // evicted, so full again
  });

  it('says how long to wait', () => {
    const limiter = new TokenBucketLimiter(1, 2, () => 0); // one token per 30 s
    limiter.take('a');
    expect(limiter.take('a').retryAfterSeconds).toBe(30);
  });
});

describe('trusted reverse proxies', () => {
  it('trusts loopback hops only, as express\'s "loopback" preset does', () => {
    for (const address of ['127.0.0.1', '127.255.0.9', '::1', '::ffff:127.0.0.1', '::FFFF:127.0.0.2']) expect(trustLoopbackProxies(address), address).toBe(true);
    for (const address of ['10.0.0.1', '128.0.0.1', '::ffff:10.0.0.1', '::2', '203.0.113.7', '127.0.0.1.example', 'x127.0.0.1', '']) {
      expect(trustLoopbackProxies(address), address).toBe(false);
    }
  });
});

describe('bracket nesting before parsing', () => {
  it('counts braces, brackets and parentheses, not those in strings or comments', () => {
    expect(bracketNesting('{ a { b(x: [[1]]) } }', 100)).toBe(5);
    expect(bracketNesting('{ a(x: "{{{{[[[[") }', 100)).toBe(2);
    expect(bracketNesting('{ a(x: """ {{{ \\""" [[[ """) }', 100)).toBe(2);
    expect(bracketNesting('# {{{{{{\n{ a }', 100)).toBe(1);
    expect(bracketNesting('{ a(x: "\\" {{{") }', 100)).toBe(2);
  });

  it('stops counting past the limit', () => {
    expect(bracketNesting('['.repeat(1_000_000), 10)).toBe(11);
  });
});

describe('limit configuration', () => {
  it('has defaults', () => {
    expect(loadConfig({}).limits).toEqual({
      maxDepth: 10,
      maxAliases: 30,
      maxTokens: 2000,
      maxDirectives: 20,
      maxCost: 25_000,
      maxBodyBytes: 1_048_576,
      rateLimitPerMinute: 600,
      rateLimitAnonymousPerMinute: 300,
    });
  });

  it('reads and validates every variable', () => {
    const config = loadConfig({ GRAPHQL_MAX_DEPTH: '12', RATE_LIMIT_PER_MINUTE: '0', MAX_REQUEST_BODY_BYTES: '65536' });
    expect(config.limits).toMatchObject({ maxDepth: 12, rateLimitPerMinute: 0, maxBodyBytes: 65_536 });
    for (const [variable, value] of [
      ['GRAPHQL_MAX_DEPTH', '0'],
      ['GRAPHQL_MAX_ALIASES', 'many'],
      ['GRAPHQL_MAX_TOKENS', '10'],
      ['GRAPHQL_MAX_DIRECTIVES', '-1'],
      ['GRAPHQL_MAX_COST', '1.5'],
      ['MAX_REQUEST_BODY_BYTES', '100'],
      ['RATE_LIMIT_PER_MINUTE', '-5'],
      ['RATE_LIMIT_ANONYMOUS_PER_MINUTE', 'lots'],
    ]) {
      expect(() => loadConfig({ [variable!]: value })).toThrow(ConfigError);
      expect(() => loadConfig({ [variable!]: value })).toThrow(new RegExp(`^Invalid configuration: ${variable}`));
    }
  });
});
