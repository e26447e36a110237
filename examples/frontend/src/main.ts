// A department frontend's client for creditgraph, end to end against a running server:
//
//   1. a supervisor listens for new records over graphql-ws (the creditEvents subscription);
//   2. a clerk records an administrative penalty with graphql-request;
//   3. the supervisor pages through the high-risk (tier D) entities, Relay style;
//   4. the supervisor's socket delivers the clerk's penalty.
//
// Every document is typed from the committed schema.graphql by graphql-codegen (npm run
// codegen writes src/gql). Tokens come from the demo-token file the server writes beside its
// database on first start (creditgraph-demo-tokens.json), or from the environment.
//
//   CREDITGRAPH_URL=http://127.0.0.1:8080/query CREDITGRAPH_DEMO_TOKENS=../../creditgraph-demo-tokens.json npm run ci
import { readFileSync } from 'node:fs';
import { ClientError, GraphQLClient } from 'graphql-request';
import { createClient } from 'graphql-ws';
import { print } from 'graphql';
import WebSocket from 'ws';

import { graphql } from './gql/index.js';
import type { CreateAdministrativePenaltyInput, HighRiskPageQuery, NewRecordsSubscription } from './gql/graphql.js';

const url = process.env.CREDITGRAPH_URL ?? 'http://127.0.0.1:8080/query';
const tokens = readTokens();

function readTokens(): Record<string, string> {
  const file = process.env.CREDITGRAPH_DEMO_TOKENS ?? '../../creditgraph-demo-tokens.json';
  const fromEnv = { clerk: process.env.CREDITGRAPH_CLERK_TOKEN, supervisor: process.env.CREDITGRAPH_SUPERVISOR_TOKEN };
  if (fromEnv.clerk && fromEnv.supervisor) return fromEnv as Record<string, string>;
  const demo = JSON.parse(readFileSync(file, 'utf8')) as { name: string; token: string }[];
  const find = (name: string) => {
    const t = demo.find((d) => d.name === name);
    if (!t) throw new Error(`${file} has no token ${name}`);
    return t.token;
  };
  return { clerk: find('demo-market-clerk'), supervisor: find('demo-market-supervisor') };
}

const as = (token: string) => new GraphQLClient(url, { headers: { Authorization: `Bearer ${token}` } });

// send runs a request, and runs it again when the API says it is worth it: CONFLICT (a write
// clashed with others in every attempt the server made and wrote nothing — records carry
// their source key, so sending one again never records it twice) and RATE_LIMITED (after the
// retryAfter seconds it names). Up to five sends; any other error is the caller's to read.
async function send<T>(request: () => Promise<T>, sends = 5): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await request();
    } catch (err) {
      const first = err instanceof ClientError ? err.response.errors?.[0]?.extensions : undefined;
      const code = first?.['code'];
      if (n >= sends || (code !== 'CONFLICT' && code !== 'RATE_LIMITED')) throw err;
      const retryAfter = Number(first?.['retryAfter'] ?? 0);
      const pause = code === 'RATE_LIMITED' && retryAfter > 0 ? retryAfter * 1000 : 100 * 2 ** n;
      console.log(`answered ${code}; sending again in ${pause} ms (${n} of ${sends - 1} resends)`);
      await new Promise((r) => setTimeout(r, pause));
    }
  }
}

// --- the documents; graphql() returns a TypedDocumentNode, so results and variables are typed.

const WhereToWrite = graphql(`
  query WhereToWrite {
    departments(first: 1, where: { sector: MARKET, usccNotNil: true }) {
      edges { node { id code name uscc } }
    }
    marketEntities(first: 1, orderBy: [{ field: USCC }]) {
      edges { node { id uscc name } }
    }
  }
`);

const RecordPenalty = graphql(`
  mutation RecordPenalty($input: CreateAdministrativePenaltyInput!) {
    createAdministrativePenalty(input: $input) {
      id
      decisionNo
      severity
      status
      publicity { start maxEnd repairable }
    }
  }
`);

const HighRiskPage = graphql(`
  query HighRiskPage($after: Cursor) {
    marketEntities(first: 5, after: $after, where: { riskTier: D }, orderBy: [{ field: USCC }]) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { cursor node { id uscc name riskTier legalRepresentative { name } } }
    }
  }
`);

const NewRecords = graphql(`
  subscription NewRecords {
    creditEvents(departments: ["market"], types: [RECORDED]) {
      type
      recordType
      recordID
      entityID
      summary
      record { __typename ... on AdministrativePenalty { decisionNo severity } }
    }
  }
`);

// --- the story.

const wsURL = url.replace(/^http/, 'ws');
const socket = createClient({
  url: wsURL,
  webSocketImpl: WebSocket,
  connectionParams: { Authorization: `Bearer ${tokens.supervisor}` },
  lazy: false,
});
const connected = new Promise<void>((resolve) => socket.on('connected', () => resolve()));
const events = socket.iterate<NewRecordsSubscription>({ query: print(NewRecords) });
async function nextEvent() {
  const r = await events.next();
  return r.done ? undefined : r.value.data?.creditEvents;
}

async function main() {
  await withTimeout(connected, 10_000, 'the events socket did not connect');
  // graphql-transport-ws has no acknowledgement of a subscription: give it a moment to start.
  await new Promise((r) => setTimeout(r, 500));

  const clerk = as(tokens.clerk!);
  const where = await send(() => clerk.request(WhereToWrite));
  const dep = where.departments.edges[0]?.node;
  const entity = where.marketEntities.edges[0]?.node;
  if (!dep?.uscc || !entity) throw new Error('the demo data has no market department with a USCC or no entity');

  const stamp = Date.now().toString(36);
  const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
  const input: CreateAdministrativePenaltyInput = {
    departmentID: dep.id,
    entityID: entity.id,
    sourceSystem: 'frontend-example',
    sourceRecordID: `FE-${stamp}`,
    severity: 'GENERAL',
    counterpartyName: entity.name,
    counterpartyCategory: 'LEGAL_PERSON',
    counterpartyUscc: entity.uscc,
    decisionNo: `示例罚〔2026〕${stamp}号`,
    violationType: '虚假广告',
    violationFacts: '发布虚假广告',
    legalBasis: '《中华人民共和国广告法》第五十五条',
    penaltyCategories: ['WARNING', 'FINE'],
    fineAmount: '5',
    penaltyContent: '警告，罚款五万元',
    decisionDate: yesterday,
    authorityName: dep.name,
    authorityUscc: dep.uscc,
    dataSourceUnit: dep.name,
    dataSourceUnitUscc: dep.uscc,
  };
  const { createAdministrativePenalty: penalty } = await send(() => clerk.request(RecordPenalty, { input }));
  console.log(`clerk recorded penalty ${penalty.decisionNo} (${penalty.severity}, ${penalty.status}; in publicity until ${penalty.publicity?.maxEnd ?? '—'})`);

  const supervisor = as(tokens.supervisor!);
  const seen = new Set<string>();
  let after: string | null | undefined = null;
  for (let page = 1; page <= 2; page++) {
    const { marketEntities: conn }: HighRiskPageQuery = await send(() => supervisor.request(HighRiskPage, { after }));
    for (const { node } of conn.edges) {
      if (seen.has(node.id)) throw new Error(`entity ${node.uscc} came twice across pages`);
      seen.add(node.id);
      if (node.riskTier !== 'D') throw new Error(`entity ${node.uscc} is tier ${node.riskTier}, asked for D`);
    }
    console.log(`supervisor page ${page}: ${conn.edges.length} of ${conn.totalCount} tier-D entities (${conn.edges.map((e) => e.node.legalRepresentative?.name ?? '—').join(', ')})`);
    if (!conn.pageInfo.hasNextPage) break;
    after = conn.pageInfo.endCursor;
  }

  for (;;) {
    const event = await withTimeout(nextEvent(), 10_000, 'no event for the new penalty within 10 s');
    if (!event) throw new Error('the events stream ended');
    if (event.recordID === penalty.id) {
      const record = event.record;
      if (record?.__typename !== 'AdministrativePenalty' || record.decisionNo !== penalty.decisionNo) throw new Error(`event record ${JSON.stringify(event.record)} is not the penalty`);
      console.log(`supervisor's socket: ${event.type} ${event.recordType} — ${event.summary}`);
      break;
    }
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  return Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(message)), ms))]);
}

main()
  .then(async () => {
    await socket.dispose();
    console.log('frontend example: ok');
  })
  .catch(async (err) => {
    console.error('frontend example failed:', err instanceof Error ? err.message : err);
    await socket.dispose();
    process.exit(1);
  });
