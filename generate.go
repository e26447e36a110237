// Package creditgraph is the module root. It holds only the code-generation steps, in the order
// they must run: ent first (it writes graph/ent.graphql), then gqlgen over every graph/*.graphql.
package creditgraph

//go:generate go run -mod=mod ./ent/entc.go
//go:generate go run -mod=mod github.com/99designs/gqlgen generate
