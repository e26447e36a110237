// The GraphQL-over-HTTP audit of npm graphql-http against a live creditgraph, once for the
// public and once with a token (issue 14, point 4). It fails unless every MUST passes and at
// least 90% of the SHOULDs do, for both callers.
//
//   node audit.mjs http://127.0.0.1:8080/query            # CREDITGRAPH_AUDIT_TOKEN=<a demo token>
import { serverAudits } from 'graphql-http';

const url = process.argv[2] ?? 'http://127.0.0.1:8080/query';
const token = process.env.CREDITGRAPH_AUDIT_TOKEN;
if (!token) {
  console.error('set CREDITGRAPH_AUDIT_TOKEN to a token (any role) to audit an authenticated caller too');
  process.exit(2);
}

async function audit(who, fetchFn) {
  const tally = { MUST: [0, 0], SHOULD: [0, 0], MAY: [0, 0] };
  const failures = [];
  for (const a of serverAudits({ url, fetchFn })) {
    const level = a.name.split(' ')[0];
    const result = await a.fn();
    tally[level][1]++;
    if (result.status === 'ok') {
      tally[level][0]++;
    } else if (level !== 'MAY') {
      const body = result.response ? await result.response.text().catch(() => '') : '';
      failures.push(`  ${a.name}: ${result.reason}${body ? ' — ' + body.slice(0, 200) : ''}`);
    }
  }
  const [mustOK, must] = tally.MUST, [shouldOK, should] = tally.SHOULD, [mayOK, may] = tally.MAY;
  console.log(`${who}: MUST ${mustOK}/${must}, SHOULD ${shouldOK}/${should}, MAY ${mayOK}/${may}`);
  failures.forEach((f) => console.log(f));
  return mustOK === must && shouldOK >= 0.9 * should;
}

const withToken = (input, init = {}) => {
  const headers = new Headers(init.headers ?? {});
  headers.set('Authorization', `Bearer ${token}`);
  return fetch(input, { ...init, headers });
};
const ok = [await audit('public', fetch), await audit('with a token', withToken)];
if (!ok.every(Boolean)) {
  console.error('GraphQL-over-HTTP audit failed: every MUST and 90% of the SHOULDs are required');
  process.exit(1);
}
