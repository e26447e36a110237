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
<link rel="stylesheet" href="{{.Prefix}}graphiql.min.css">
<style>html,body,#graphiql{height:100%;margin:0;}</style>
</head>
<body>
<div id="graphiql">Loading the playground…</div>
<script src="{{.Prefix}}react.production.min.js"></script>
<script src="{{.Prefix}}react-dom.production.min.js"></script>
<script src="{{.Prefix}}graphiql.min.js"></script>
<script>
  const fetcher = GraphiQL.createFetcher({ url: {{.Endpoint}} });
  const root = ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(React.createElement(GraphiQL, {
    fetcher: fetcher,
    defaultEditorToolsVisibility: 'headers',
    headerEditorEnabled: true,
    shouldPersistHeaders: true,
    defaultHeaders: {{.DefaultHeaders}},
    defaultQuery: {{.DefaultQuery}},
  }));
</script>
</body>
</html>
`))

const defaultQuery = `# Welcome to creditgraph. Paste a token into Headers below as
#   {"Authorization": "Bearer <token>"}
# and run a query with the ▶ button.
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
