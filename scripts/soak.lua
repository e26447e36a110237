-- wrk script for scripts/soak.sh: a supervisor's paged query with a bearer token.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("SOAK_TOKEN")
wrk.body = '{"query":"{ marketEntities(first: 20, where: {cityCode: \\"320500\\"}, orderBy: [{field: CREDIT_SCORE}]) { totalCount edges { node { uscc name riskTier legalRepresentative { name } penalties(first: 3) { edges { node { decisionNo } } } } } } }"}'

local errors = 0
response = function(status, headers, body)
  if status ~= 200 or string.find(body, '"errors"') then
    errors = errors + 1
  end
end

done = function(summary, latency, requests)
  io.write(string.format("requests %d, non-2xx or GraphQL errors %d (wrk counted %d non-2xx), socket errors %d\n",
    summary.requests, errors, summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
  for _, p in pairs({50, 95, 99}) do
    io.write(string.format("p%d %.1f ms\n", p, latency:percentile(p) / 1000))
  end
end
