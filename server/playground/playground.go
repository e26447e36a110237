// Package playground serves GraphiQL with every asset embedded in the binary, so the playground
// works on department networks without internet access (gqlgen's stock playground loads its
// scripts from a CDN and shows a blank page offline). update-assets.sh refreshes the assets.
package playground

import (
	"embed"
	"html/template"
	"io/fs"
	"net/http"
)

//go:embed assets
var assets embed.FS

// AssetPrefix is where the embedded scripts and stylesheets are served.
const AssetPrefix = "/playground/"

var page = template.Must(template.New("playground").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{{.Title}}</title>
<link rel="icon" href="{{.Prefix}}favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="{{.Prefix}}graphiql.min.css">
<style>html,body,#graphiql{height:100%;margin:0;}</style>
</head>
<body>
<div id="graphiql">Loading the playground…</div>
<script src="{{.Prefix}}react.production.min.js"></script>
<script src="{{.Prefix}}react-dom.production.min.js"></script>
<script src="{{.Prefix}}graphiql.min.js"></script>
<script src="{{.Prefix}}graphql-ws.min.js"></script>
<script>
  // The token in the Headers tab, as GraphiQL keeps it (shouldPersistHeaders).
  const headers = () => { try { return JSON.parse(localStorage.getItem('graphiql:headers') || '{}'); } catch (e) { return {}; } };
  // Subscriptions over graphql-ws on the same endpoint; the socket opens per subscription with
  // the Headers tab's token as its connection parameters.
  const socketURL = new URL({{.Endpoint}}, location.href);
  socketURL.protocol = socketURL.protocol === 'https:' ? 'wss:' : 'ws:';
  const wsClient = graphqlWs.createClient({ url: socketURL.href, lazy: true, lazyCloseTimeout: 0, connectionParams: headers });
  const fetcher = GraphiQL.createFetcher({ url: {{.Endpoint}}, wsClient: wsClient });
  const root = ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(React.createElement(GraphiQL, {
    fetcher: fetcher,
    defaultEditorToolsVisibility: 'headers',
    headerEditorEnabled: true,
    shouldPersistHeaders: true,
    defaultHeaders: {{.DefaultHeaders}},
    defaultQuery: {{.DefaultQuery}},
  }));
  // The schema (docs explorer, autocompletion) needs a token: fetch it again whenever the
  // Authorization header changes, as the re-fetch button would.
  let seen = JSON.stringify(headers().Authorization || headers().authorization || '');
  setInterval(() => {
    const now = JSON.stringify(headers().Authorization || headers().authorization || '');
    const refetch = document.querySelector('[aria-label="Re-fetch GraphQL schema"]');
    if (now !== seen && refetch) { seen = now; refetch.click(); }
  }, 1000);
</script>
</body>
</html>
`))

const defaultQuery = `# Welcome to creditgraph, Jiangsu's credit-supervision API.
#
# Your token goes in the Headers tab below:
#   {"Authorization": "Bearer <token>"}
# Your department's operator issues it
#   (creditgraph token issue --role auditor ...).
# The demo server writes one per role beside its
# database: creditgraph-demo-tokens.json.
# Without a token you see what is public; with one,
# Docs (book icon) and autocompletion cover the schema.
#
# Run with ▶. Subscriptions run here too, e.g.
#   subscription { creditEvents { type summary } }
{
  marketEntities(first: 5, orderBy: [{field: NAME}]) {
    totalCount
    edges {
      node {
        uscc
        name
        entityKind
        divisionCode
        legalRepresentative { name }
      }
    }
  }
}
`

// Handler serves the playground page at "/" and its assets under AssetPrefix; endpoint is the
// GraphQL URL the page talks to.
func Handler(title, endpoint string) http.Handler {
	sub, err := fs.Sub(assets, "assets")
	if err != nil {
		panic(err) // the embed path is fixed at build time
	}
	mux := http.NewServeMux()
	mux.Handle(AssetPrefix, http.StripPrefix(AssetPrefix, cacheFor(http.FileServerFS(sub))))
	// Browsers and tools that ask for the conventional icon get the page's.
	mux.HandleFunc("/favicon.ico", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/svg+xml")
		w.Header().Set("Cache-Control", "public, max-age=86400")
		http.ServeFileFS(w, r, sub, "favicon.svg")
	})
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		err := page.Execute(w, map[string]any{
			"Title":          title,
			"Prefix":         AssetPrefix,
			"Endpoint":       endpoint,
			"DefaultQuery":   defaultQuery,
			"DefaultHeaders": "",
		})
		if err != nil {
			http.Error(w, "rendering the playground failed", http.StatusInternalServerError)
		}
	})
	return mux
}

// cacheFor lets browsers keep the versioned assets for a day.
func cacheFor(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=86400")
		h.ServeHTTP(w, r)
	})
}
