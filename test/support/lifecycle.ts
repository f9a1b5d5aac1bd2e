import { gql } from 'graphql-request';
import type { TestServer } from './server.ts';

const officer = { role: 'bureau_officer' as const, org: 'linjiang-eeb', subject: 'officer-1' };
const admin = { role: 'bureau_admin' as const, org: 'linjiang-eeb', subject: 'admin-1' };
const DAY = 86_400_000;

export interface DraftInput {
  ruleSetId: string;
  version: string;
  period: string;
  scope: { all: true } | { creditCodes: string[] };
}

/**
 * A DRAFT run through the real API: started by a bureau officer, rated, opened to publicity by a
 * bureau_admin, and the server's clock moved past any publicity period the shipped rules set.
 * Returns the run's id (`run:N`), ready to publish.
 */
export async function draftPastPublicity(server: TestServer, input: DraftInput): Promise<string> {
  const started = await server.client(officer).request<any>(gql`mutation($input: StartRatingRunInput!) { startRatingRun(input: $input) { id } }`, {
    input: { ...input, mode: 'DRAFT' },
  });
  const runId = started.startRatingRun.id as string;
  await server.service.tracker.completion(Number(runId.replace('run:', '')));
  await server.client(admin).request(gql`mutation($id: ID!) { beginPublicity(runId: $id) { status } }`, { id: runId });
  server.clock.advance(11 * DAY);
  return runId;
}

/** Publishes a run as a bureau_admin; returns the status it answers with. */
export async function publishRun(server: TestServer, runId: string): Promise<string> {
  const published = await server.client(admin).request<any>(gql`mutation($id: ID!) { publishRatingRun(runId: $id) { status } }`, { id: runId });
  return published.publishRatingRun.status;
}
