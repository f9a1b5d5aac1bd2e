import jwt from 'jsonwebtoken';
import { describe, expect, it } from 'vitest';
import { AuthenticationError, CLOCK_TOLERANCE_SECONDS, createTokenVerifier } from '../../src/auth/jwt.ts';
import type { Principal } from '../../src/auth/principal.ts';
import { rememberVerifiedTokens } from '../../src/auth/token-cache.ts';

const SECRET = 'unit-test-secret-0123456789-0123456789';
const verifyHs = createTokenVerifier({ jwt: { secret: SECRET, publicKey: undefined, issuer: 'envcredit', audience: 'envcredit' } });
const sign = (sub: string, expSeconds: number) =>
  jwt.sign({ sub, role: 'bank', org: 'bank-a', iss: 'envcredit', aud: 'envcredit', exp: expSeconds }, SECRET, { algorithm: 'HS256' });

/** The HS256 verifier, counting how often it really runs; the clock is the test's. */
function counted(clockMs: { now: number }) {
  let calls = 0;
  const verify = rememberVerifiedTokens(
    (token) => {
      calls += 1;
      return verifyHs(token);
    },
    { now: () => clockMs.now, maxAgeMs: 60_000, maxEntries: 3 },
  );
  return { verify, calls: () => calls };
}

describe('remembered token verification', () => {
  it('verifies a token once and answers the same principal after, read-only', () => {
    const clock = { now: Date.now() };
    const { verify, calls } = counted(clock);
    const token = sign('u1', Math.floor(clock.now / 1000) + 3600);
    const first = verify(token) as Principal;
    expect(first).toEqual({ subject: 'u1', role: 'bank', org: 'bank-a', creditCode: null });
    expect(verify(token)).toBe(first);
    expect(calls()).toBe(1);
    expect(Object.isFrozen(first)).toBe(true);
  });

  it('checks the signature again after maxAge, and once the token’s exp (plus tolerance) has passed', () => {
    const clock = { now: Date.now() };
    let calls = 0;
    // The real verifier, refusing by the test's clock too (jsonwebtoken reads the real one).
    const verify = rememberVerifiedTokens(
      (token) => {
        calls += 1;
        const { exp } = jwt.decode(token) as { exp: number };
        if (clock.now >= (exp + 5) * 1000) throw new AuthenticationError('invalid token: jwt expired');
        return verifyHs(token);
      },
      { now: () => clock.now, maxAgeMs: 60_000 },
    );
    const long = sign('long', Math.floor(clock.now / 1000) + 3600);
    verify(long);
    clock.now += 59_999;
    verify(long);
    expect(calls).toBe(1);
    clock.now += 2;
    verify(long);
    expect(calls).toBe(2);

    const exp = Math.floor(clock.now / 1000) + 2;
    const short = sign('short', exp);
    verify(short);
    clock.now = (exp + 5) * 1000 - 1;
    verify(short);
    expect(calls).toBe(3);
    clock.now += 1;
    expect(() => verify(short)).toThrow(AuthenticationError);
    expect(calls).toBe(4);
  });

  it('stops serving a token at the very second jsonwebtoken, with the same tolerance, starts refusing it', () => {
    const exp = Math.floor(Date.now() / 1000) + 3600;
    const token = sign('edge', exp);
    const verifyAt = (seconds: number) => () => jwt.verify(token, SECRET, { algorithms: ['HS256'], clockTolerance: CLOCK_TOLERANCE_SECONDS, clockTimestamp: seconds });
    expect(verifyAt(exp + CLOCK_TOLERANCE_SECONDS - 1)).not.toThrow();
    expect(verifyAt(exp + CLOCK_TOLERANCE_SECONDS)).toThrow(/jwt expired/);

    const clock = { now: (exp + CLOCK_TOLERANCE_SECONDS) * 1000 - 30_000 };
    let calls = 0;
    const verify = rememberVerifiedTokens(
      (t) => {
        calls += 1;
        return verifyHs(t);
      },
      { now: () => clock.now },
    );
    verify(token);
    clock.now = (exp + CLOCK_TOLERANCE_SECONDS) * 1000 - 1; // last millisecond of the last accepted second
    verify(token);
    expect(calls).toBe(1);
    clock.now += 1; // the second jsonwebtoken refuses: checked again
    verify(token);
    expect(calls).toBe(2);
  });

  it('never remembers a refusal', () => {
    const clock = { now: Date.now() };
    const { verify, calls } = counted(clock);
    const expired = sign('old', Math.floor(clock.now / 1000) - 60);
    expect(() => verify(expired)).toThrow(AuthenticationError);
    expect(() => verify(expired)).toThrow(AuthenticationError);
    expect(calls()).toBe(2);
  });

  it('holds at most maxEntries tokens, forgetting the oldest', () => {
    const clock = { now: Date.now() };
    const { verify, calls } = counted(clock);
    const exp = Math.floor(clock.now / 1000) + 3600;
    const tokens = ['a', 'b', 'c', 'd'].map((sub) => sign(sub, exp));
    for (const token of tokens) verify(token);
    expect(calls()).toBe(4);
    verify(tokens[3]!);
    verify(tokens[1]!);
    expect(calls()).toBe(4);
    verify(tokens[0]!); // forgotten when the fourth came in
    expect(calls()).toBe(5);
  });

  it('remembers what an asynchronous (JWKS) verifier resolved', async () => {
    let calls = 0;
    const verify = rememberVerifiedTokens(async (token) => {
      calls += 1;
      return verifyHs(token);
    });
    const token = sign('async', Math.floor(Date.now() / 1000) + 3600);
    const first = await verify(token);
    expect(await verify(token)).toBe(first);
    expect(calls).toBe(1);
    await expect(verify(sign('bad', Math.floor(Date.now() / 1000) - 60))).rejects.toThrow(AuthenticationError);
  });
});
