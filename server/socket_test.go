package server_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/graph"
	"github.com/creditgraph/creditgraph/seed/seedtest"
	"github.com/creditgraph/creditgraph/server"
	"github.com/creditgraph/creditgraph/storage/storagetest"
	"github.com/creditgraph/creditgraph/vocab"
)

// wsClient is a minimal graphql-transport-ws client.
type wsClient struct {
	t    *testing.T
	conn *websocket.Conn
}

// dialWS opens a socket to srv's /query from origin ("" for none).
func dialWS(t *testing.T, srv *httptest.Server, origin string) (*wsClient, *http.Response, error) {
	t.Helper()
	h := http.Header{"Sec-WebSocket-Protocol": {"graphql-transport-ws"}}
	if origin != "" {
		h.Set("Origin", origin)
	}
	conn, res, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http")+"/query", h)
	if err != nil {
		return nil, res, err
	}
	t.Cleanup(func() { conn.Close() })
	return &wsClient{t: t, conn: conn}, res, nil
}

func (c *wsClient) send(v any) {
	c.t.Helper()
	if err := c.conn.WriteJSON(v); err != nil {
		c.t.Fatal(err)
	}
}

// init sends connection_init with the secret (none for the public) and returns the reply, or
// the close error that came instead.
func (c *wsClient) init(secret string) (map[string]any, error) {
	payload := map[string]any{}
	if secret != "" {
		payload["Authorization"] = "Bearer " + secret
	}
	c.send(map[string]any{"type": "connection_init", "payload": payload})
	return c.next(10 * time.Second)
}

// next returns the next protocol message other than pings, or the error that ended the
// socket (a *websocket.CloseError when the server closed it), waiting at most wait.
func (c *wsClient) next(wait time.Duration) (map[string]any, error) {
	for {
		_ = c.conn.SetReadDeadline(time.Now().Add(wait))
		_, raw, err := c.conn.ReadMessage()
		if err != nil {
			return nil, err
		}
		var m map[string]any
		_ = json.Unmarshal(raw, &m)
		switch m["type"] {
		case "ping", "ka":
			c.send(map[string]any{"type": "pong"})
		case "connection_error": // gqlgen's notice before it closes; the close frame follows
		default:
			return m, nil
		}
	}
}

// closeCode waits at most wait for the server to close the socket and returns its code; -1
// when the socket stayed open.
func (c *wsClient) closeCode(wait time.Duration) int {
	c.t.Helper()
	deadline := time.Now().Add(wait)
	for {
		m, err := c.next(time.Until(deadline))
		var ce *websocket.CloseError
		switch {
		case errors.As(err, &ce):
			return ce.Code
		case err != nil:
			var ne interface{ Timeout() bool }
			if errors.As(err, &ne) && ne.Timeout() {
				return -1
			}
			c.t.Fatalf("socket ended without a close frame: %v", err)
		case m["type"] == "next" || m["type"] == "error":
			c.t.Logf("message while waiting for the close: %v", m)
		}
	}
}

// query runs one operation over the socket and returns its errors' codes (none on success).
func (c *wsClient) query(id, q string) []string {
	c.t.Helper()
	c.send(map[string]any{"id": id, "type": "subscribe", "payload": map[string]any{"query": q}})
	var codes []string
	for {
		m, err := c.next(10 * time.Second)
		if err != nil {
			c.t.Fatalf("operation %s: %v", id, err)
		}
		if m["id"] != id {
			continue
		}
		switch m["type"] {
		case "next":
			p, _ := m["payload"].(map[string]any)
			errs, _ := p["errors"].([]any)
			for _, e := range errs {
				code, _ := e.(map[string]any)["extensions"].(map[string]any)["code"].(string)
				codes = append(codes, code)
			}
		case "error":
			for _, e := range m["payload"].([]any) {
				code, _ := e.(map[string]any)["extensions"].(map[string]any)["code"].(string)
				codes = append(codes, code)
			}
			return codes
		case "complete":
			return codes
		}
	}
}

// refusedThenClosed runs an operation that must be refused because the socket's token changed:
// the refusal comes first — no data, the error code, and the extension "closes" with the close
// code, so a client reads why — and then the close frame with that code.
func (c *wsClient) refusedThenClosed(id, errCode string, closeCode int) {
	c.t.Helper()
	c.send(map[string]any{"id": id, "type": "subscribe", "payload": map[string]any{"query": `{ viewer { role } }`}})
	told := false
	for {
		m, err := c.next(6 * time.Second)
		var ce *websocket.CloseError
		switch {
		case errors.As(err, &ce):
			if ce.Code != closeCode {
				c.t.Fatalf("closed with %d, want %d", ce.Code, closeCode)
			}
			if !told {
				c.t.Fatalf("the socket closed with %d before the operation's refusal reached the client", closeCode)
			}
			return
		case err != nil:
			c.t.Fatalf("waiting for the refusal and the close: %v", err)
		case m["id"] != id:
			continue
		case m["type"] == "next" || m["type"] == "error":
			var errs []any
			if p, ok := m["payload"].(map[string]any); ok {
				if p["data"] != nil {
					c.t.Fatalf("the operation ran with the rights the socket opened with: %v", m)
				}
				errs, _ = p["errors"].([]any)
			} else {
				errs, _ = m["payload"].([]any)
			}
			if len(errs) != 1 {
				c.t.Fatalf("refusal %v: want one error", m)
			}
			ext, _ := errs[0].(map[string]any)["extensions"].(map[string]any)
			if ext["code"] != errCode || ext["closes"] != float64(closeCode) {
				c.t.Fatalf("refusal %v: want code %s and closes %d", m, errCode, closeCode)
			}
			told = true
		}
	}
}

// lockedBuffer collects log lines written from several goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

// A WebSocket is held to what HTTP is: the same authentication (at connection_init, for every
// operation, and for as long as it is open), the same rate limit, the same logs, the same
// allowed origins; a refusal closes with the protocol's codes, never a normal closure that
// clients would answer by reconnecting.
func TestWebSocketIsHTTP(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnvOn(t, e)
		ctx := context.Background()
		logs := &lockedBuffer{}
		serve := func(edge server.EdgeConfig) *httptest.Server {
			srv := httptest.NewServer(server.New(server.Config{Deps: graph.Deps{Client: env.db.Client, Ledger: env.db.Ledger, Authorizer: env.authorizer},
				Tokens: env.tokens, Ready: env.db.Ready, Logger: slog.New(slog.NewJSONHandler(logs, nil)), Edge: edge}))
			t.Cleanup(srv.Close)
			return srv
		}
		srv := serve(server.EdgeConfig{CORSOrigins: []string{"https://frontend.example.gov.cn"}})
		issue := func(t *testing.T, name string, expires time.Duration) string {
			t.Helper()
			secret, err := env.tokens.Issue(ctx, authz.IssueRequest{Name: name, Department: "market", Role: authz.RoleClerk, Expires: expires})
			if err != nil {
				t.Fatal(err)
			}
			return secret
		}

		t.Run("a bad token at connection_init closes with 4403", func(t *testing.T) {
			for _, secret := range []string{"cg_not-a-token", "garbage"} {
				c, _, err := dialWS(t, srv, "")
				if err != nil {
					t.Fatal(err)
				}
				m, err := c.init(secret)
				var ce *websocket.CloseError
				if !errors.As(err, &ce) || ce.Code != 4403 {
					t.Errorf("connection_init with %q: answered %v, error %v; want a close with 4403", secret, m, err)
				}
			}
		})

		t.Run("origins allowed by CORS may open a socket, others may not", func(t *testing.T) {
			if _, _, err := dialWS(t, srv, "https://frontend.example.gov.cn"); err != nil {
				t.Errorf("allowed origin refused: %v", err)
			}
			if _, res, err := dialWS(t, srv, "https://evil.example"); err == nil || res == nil || res.StatusCode != http.StatusForbidden {
				t.Errorf("foreign origin: err %v, response %v; want 403", err, res)
			}
		})

		t.Run("every operation authenticates again", func(t *testing.T) {
			c, _, err := dialWS(t, srv, "")
			if err != nil {
				t.Fatal(err)
			}
			if m, err := c.init(issue(t, "ws-per-op", 0)); err != nil || m["type"] != "connection_ack" {
				t.Fatalf("init: %v %v", m, err)
			}
			if codes := c.query("1", `{ viewer { role } }`); len(codes) != 0 {
				t.Fatalf("before revocation: %v", codes)
			}
			if err := env.tokens.Revoke(ctx, "ws-per-op"); err != nil {
				t.Fatal(err)
			}
			// At once — before any periodic check could have run — the next operation is refused.
			c.refusedThenClosed("2", "UNAUTHENTICATED", 4401)
		})

		for _, end := range []struct {
			name string
			do   func(t *testing.T) string // returns the secret; the token's rights end soon after
		}{
			{"revocation", func(t *testing.T) string {
				secret := issue(t, "ws-revoked", 0)
				time.AfterFunc(200*time.Millisecond, func() { _ = env.tokens.Revoke(ctx, "ws-revoked") })
				return secret
			}},
			{"expiry", func(t *testing.T) string { return issue(t, "ws-expiring", time.Second) }},
		} {
			t.Run(end.name+" ends an open subscription within 5 s, closing with 4401", func(t *testing.T) {
				c, _, err := dialWS(t, srv, "")
				if err != nil {
					t.Fatal(err)
				}
				secret := end.do(t)
				if m, err := c.init(secret); err != nil || m["type"] != "connection_ack" {
					t.Fatalf("init: %v %v", m, err)
				}
				c.send(map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{"query": `subscription { creditEvents { type } }`}})
				start := time.Now()
				if code := c.closeCode(6 * time.Second); code != 4401 {
					t.Fatalf("socket closed with %d (-1: still open) %s after the token's rights were to end; want 4401 within 5 s",
						code, time.Since(start).Round(time.Millisecond))
				}
			})
		}

		t.Run("operations share the caller's HTTP rate limit and are logged", func(t *testing.T) {
			limited := serve(server.EdgeConfig{RatePerToken: 0.5, RateBurst: 3})
			c, _, err := dialWS(t, limited, "")
			if err != nil {
				t.Fatal(err)
			}
			secret := issue(t, "ws-limited", 0)
			if m, err := c.init(secret); err != nil || m["type"] != "connection_ack" {
				t.Fatalf("init: %v %v", m, err)
			}
			var ok, refused int
			for i := range 5 {
				codes := c.query(string(rune('a'+i)), `{ viewer { role } }`)
				switch {
				case len(codes) == 0:
					ok++
				case codes[0] == "RATE_LIMITED":
					refused++
				default:
					t.Fatalf("operation %d: %v", i, codes)
				}
			}
			if ok != 3 || refused != 2 {
				t.Errorf("%d ran and %d were refused; want the burst of 3 to run and 2 refused", ok, refused)
			}
			// The same bucket as HTTP: the token's next HTTP request is refused too.
			req, _ := http.NewRequest(http.MethodPost, limited.URL+"/query", strings.NewReader(`{"query":"{ viewer { role } }"}`))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+secret)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusTooManyRequests {
				t.Errorf("HTTP after the socket used the burst: %d, want 429", res.StatusCode)
			}
			outcomes := map[string]int{}
			for _, line := range strings.Split(logs.String(), "\n") {
				if _, after, ok := strings.Cut(line, `"transport":"websocket","token":"ws-limited","operation":"query viewer","outcome":"`); ok {
					outcomes[strings.SplitN(after, `"`, 2)[0]]++
				}
			}
			if outcomes["OK"] != ok || outcomes["RATE_LIMITED"] != refused {
				t.Errorf("logged outcomes %v for %d that ran and %d refused:\n%s", outcomes, ok, refused, logs.String())
			}
		})
	})
}

// A caller holds at most OpenPerCaller sockets open, and as many subscriptions across them;
// a place is given back when its socket or subscription ends. Tokens are counted apart, the
// public by address; queries over a socket take no place.
func TestOpenPerCaller(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnvOn(t, e)
		srv := edgeServer(t, env, server.EdgeConfig{OpenPerCaller: 2})
		open := func(t *testing.T, secret string) (*wsClient, int) {
			t.Helper()
			c, _, err := dialWS(t, srv, "")
			if err != nil {
				t.Fatal(err)
			}
			m, err := c.init(secret)
			var ce *websocket.CloseError
			switch {
			case errors.As(err, &ce):
				return c, ce.Code
			case err != nil:
				t.Fatal(err)
			case m["type"] != "connection_ack":
				t.Fatalf("connection_init answered %v", m)
			}
			return c, 0
		}
		// reopen waits until the caller's place is given back: a socket is opened again.
		reopen := func(t *testing.T, secret string) *wsClient {
			t.Helper()
			for deadline := time.Now().Add(10 * time.Second); ; {
				c, code := open(t, secret)
				if code == 0 {
					return c
				}
				if code != 4429 || time.Now().After(deadline) {
					t.Fatalf("closed with %d; want a socket once one was closed", code)
				}
				time.Sleep(20 * time.Millisecond)
			}
		}
		clerk, other := env.secrets["demo-market-clerk"], env.secrets["demo-environment-clerk"]
		for _, caller := range []struct{ name, secret string }{{"the public", ""}, {"a token", clerk}} {
			t.Run(caller.name+": sockets", func(t *testing.T) {
				first, _ := open(t, caller.secret)
				if _, code := open(t, caller.secret); code != 0 {
					t.Fatalf("the second socket closed with %d", code)
				}
				if _, code := open(t, caller.secret); code != 4429 {
					t.Fatalf("the third socket got %d; want it closed with 4429", code)
				}
				if caller.secret != "" { // another token has places of its own
					if _, code := open(t, other); code != 0 {
						t.Fatalf("another token's socket closed with %d", code)
					}
				}
				first.conn.Close()
				reopen(t, caller.secret)
			})
		}

		t.Run("sockets awaiting connection_init", func(t *testing.T) {
			// A socket says who it is in connection_init; until then it takes a place of the
			// caller of its upgrade request, and one more upgrade is refused before it is made.
			var waiting []*wsClient
			for range 2 {
				c, _, err := dialWS(t, srv, "")
				if err != nil {
					t.Fatal(err)
				}
				waiting = append(waiting, c)
			}
			if _, res, err := dialWS(t, srv, ""); err == nil || res == nil || res.StatusCode != http.StatusTooManyRequests {
				t.Fatalf("a third socket awaiting connection_init: err %v, response %v; want 429", err, res)
			}
			// connection_init gives the place back (the socket now holds the caller's own).
			if m, err := waiting[0].init(""); err != nil || m["type"] != "connection_ack" {
				t.Fatalf("init: %v %v", m, err)
			}
			for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
				c, res, err := dialWS(t, srv, "")
				if err == nil {
					c.conn.Close()
					break
				}
				if res == nil || res.StatusCode != http.StatusTooManyRequests || time.Now().After(deadline) {
					t.Fatalf("after a connection_init: err %v, response %v; want a socket", err, res)
				}
			}
			// A socket that never says connection_init is closed within 5 s, with the protocol's
			// 4408, and its place given back.
			start := time.Now()
			if code := waiting[1].closeCode(7 * time.Second); code != 4408 {
				t.Fatalf("a socket without connection_init closed with %d after %s (-1: still open); want 4408 within 5 s",
					code, time.Since(start).Round(time.Millisecond))
			}
			waiting[0].conn.Close()
		})

		t.Run("subscriptions", func(t *testing.T) {
			// The clerk's sockets of the subtest above are closed by now or soon.
			c := reopen(t, clerk)
			subscribe := func(id string) {
				c.send(map[string]any{"id": id, "type": "subscribe", "payload": map[string]any{"query": `subscription { creditEvents { type } }`}})
			}
			// One reader for the socket's whole life: a read that times out would end it.
			msgs := make(chan map[string]any, 100)
			go func() {
				defer close(msgs)
				for {
					_, raw, err := c.conn.ReadMessage()
					if err != nil {
						return
					}
					var m map[string]any
					_ = json.Unmarshal(raw, &m)
					if m["type"] != "ping" && m["type"] != "complete" {
						msgs <- m
					}
				}
			}()
			// answer returns operation id's first answer, or nil when none came within wait.
			answer := func(id string, wait time.Duration) map[string]any {
				t.Helper()
				timeout := time.After(wait)
				for {
					select {
					case m, ok := <-msgs:
						if !ok {
							t.Fatal("the socket closed")
						}
						if m["id"] == id {
							return m
						}
					case <-timeout:
						return nil
					}
				}
			}
			// refused tells whether operation id was refused RATE_LIMITED within wait; any other
			// answer fails the test.
			refused := func(id string, wait time.Duration) bool {
				t.Helper()
				m := answer(id, wait)
				if m != nil && !strings.Contains(fmt.Sprint(m), "RATE_LIMITED") {
					t.Fatalf("operation %s: %v", id, m)
				}
				return m != nil
			}
			subscribe("s1")
			subscribe("s2")
			if refused("s2", 300*time.Millisecond) {
				t.Fatal("the second subscription was refused")
			}
			subscribe("s3")
			if !refused("s3", 10*time.Second) {
				t.Fatal("the third subscription ran; want RATE_LIMITED")
			}
			c.send(map[string]any{"id": "q", "type": "subscribe", "payload": map[string]any{"query": `{ viewer { role } }`}})
			if m := answer("q", 10*time.Second); m == nil || strings.Contains(fmt.Sprint(m), "error") {
				t.Fatalf("a query beside two subscriptions: %v", m)
			}
			c.send(map[string]any{"id": "s1", "type": "complete"})
			for i := 0; ; i++ { // s1's place comes back once the server has ended it
				id := fmt.Sprintf("s4-%d", i)
				subscribe(id)
				if !refused(id, 300*time.Millisecond) {
					break
				}
				if i == 30 {
					t.Fatal("completing a subscription did not give its place back")
				}
			}
			subscribe("s5")
			if !refused("s5", 10*time.Second) {
				t.Fatal("a subscription over the bound ran after one was completed and another started")
			}
		})
	})
}

// A socket's operations and subscriptions have the rights its token has now, not the rights it
// had when the socket opened: a policy change that changes them — more rights or fewer, a
// token's or the public's — refuses the socket's next operation at once, ends its
// subscriptions within 5 s and closes it with 4000, which clients answer by reconnecting (and
// so subscribing again with the new rights); a change that leaves a socket's rights as they
// were leaves it open. Each operation has its own allowance of identity-number lookups and its
// own audit row, as a request over HTTP has.
func TestASocketHasItsTokensRightsNow(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnvOn(t, e)
		ctx := context.Background()
		secrets := map[string]string{"": "", "credit-office": env.secrets["demo-credit-office"]}
		for _, name := range []string{"ws-rights", "ws-bystander"} {
			secret, err := env.tokens.Issue(ctx, authz.IssueRequest{Name: name, Department: "market", Role: authz.RoleClerk})
			if err != nil {
				t.Fatal(err)
			}
			secrets[name] = secret
		}
		open := func(t *testing.T, who string) *wsClient {
			t.Helper()
			c, _, err := dialWS(t, env.srv, "")
			if err != nil {
				t.Fatal(err)
			}
			if m, err := c.init(secrets[who]); err != nil || m["type"] != "connection_ack" {
				t.Fatalf("init as %q: %v %v", who, m, err)
			}
			return c
		}
		watch := func(t *testing.T, who string) *wsClient {
			t.Helper()
			c := open(t, who)
			c.send(map[string]any{"id": "events", "type": "subscribe", "payload": map[string]any{"query": `subscription { creditEvents { type } }`}})
			return c
		}
		runs := func(t *testing.T, c *wsClient, who string) {
			t.Helper()
			if codes := c.query(fmt.Sprintf("q%d", time.Now().UnixNano()), `{ viewer { role } }`); len(codes) != 0 {
				t.Fatalf("%q: an operation over an open socket was refused: %v", who, codes)
			}
		}
		// stillOpen waits, then wants an operation to run over c (a read that times out would
		// spoil the connection for later reads).
		stillOpen := func(t *testing.T, c *wsClient, who string, wait time.Duration) {
			t.Helper()
			time.Sleep(wait)
			runs(t, c, who)
		}
		// refused sends an operation right after a change of the socket's rights — before any
		// periodic check could have run — and wants it refused, saying why, and then the socket
		// closed with 4000.
		refused := func(t *testing.T, c *wsClient, who string) {
			t.Helper()
			c.t = t
			c.refusedThenClosed("after", "UNAVAILABLE", 4000)
		}
		ended := func(t *testing.T, c *wsClient, who string) {
			t.Helper()
			if code := c.closeCode(6 * time.Second); code != 4000 {
				t.Fatalf("%q: the subscription's socket closed with %d (-1: still open) after its rights changed; want 4000 within 5 s", who, code)
			}
		}
		change := func(t *testing.T, add bool, r authz.Rule) { seedtest.ChangeRule(t, env.authorizer, add, r) }
		binding := func(name string) authz.Rule { return seedtest.ClerkOf(name, "labour") }
		publicLabour := authz.Rule{PType: "p", V: [4]string{authz.RolePublic, authz.AllDomains, string(authz.RecordsOf(vocab.Labour)), string(authz.Read)}}

		rights, rightsWatch := open(t, "ws-rights"), watch(t, "ws-rights")
		bystander, public, publicWatch := open(t, "ws-bystander"), open(t, ""), watch(t, "")
		for c, who := range map[*wsClient]string{rights: "ws-rights", bystander: "ws-bystander", public: ""} {
			runs(t, c, who)
		}

		t.Run("another token's rights change: every socket stays open", func(t *testing.T) {
			change(t, true, binding("ws-someone-else"))
			stillOpen(t, rightsWatch, "ws-rights", 3*time.Second) // longer than the 2 s recheck
			stillOpen(t, publicWatch, "", 100*time.Millisecond)
			for c, who := range map[*wsClient]string{rights: "ws-rights", bystander: "ws-bystander", public: ""} {
				runs(t, c, who)
			}
		})
		t.Run("the token's rights grow: its sockets end, the others do not", func(t *testing.T) {
			change(t, true, binding("ws-rights"))
			refused(t, rights, "ws-rights")
			ended(t, rightsWatch, "ws-rights")
			runs(t, bystander, "ws-bystander")
			runs(t, public, "")
			stillOpen(t, publicWatch, "", 100*time.Millisecond)
		})
		t.Run("the token's rights shrink: its sockets end", func(t *testing.T) {
			again, againWatch := open(t, "ws-rights"), watch(t, "ws-rights")
			runs(t, again, "ws-rights")
			change(t, false, binding("ws-rights"))
			refused(t, again, "ws-rights")
			ended(t, againWatch, "ws-rights")
			runs(t, bystander, "ws-bystander")
		})
		t.Run("the public's rights change: the public's sockets end", func(t *testing.T) {
			change(t, true, publicLabour)
			t.Cleanup(func() { _ = env.authorizer.RemoveRule(ctx, publicLabour) })
			refused(t, public, "")
			ended(t, publicWatch, "")
			runs(t, bystander, "ws-bystander")
		})
		t.Run("each operation has its own lookups and audit row", func(t *testing.T) {
			c := open(t, "credit-office")
			for i := range authz.MaxPersonLookups + 1 {
				q := fmt.Sprintf(`{ personByIdNumber(idNumber: "32050219800101123X", purpose: "socket-lookup-%d") { name } }`, i)
				if codes := c.query(fmt.Sprintf("lookup%d", i), q); len(codes) != 0 {
					t.Fatalf("lookup %d, each in its own operation over one socket: %v", i, codes)
				}
			}
			runs(t, c, "credit-office")
			rows, err := env.db.SQL.QueryContext(ctx, `SELECT purpose FROM audit_logs WHERE token_name = 'demo-credit-office' ORDER BY id`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var got []string
			for rows.Next() {
				var p sql.NullString
				if err := rows.Scan(&p); err != nil {
					t.Fatal(err)
				}
				got = append(got, p.String)
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			var want []string
			for i := range authz.MaxPersonLookups + 1 {
				want = append(want, fmt.Sprintf("socket-lookup-%d", i))
			}
			if !slices.Equal(got, want) {
				t.Errorf("audit rows' purposes %q, want one row per lookup with its own purpose and none for the plain read: %q", got, want)
			}
		})
	})
}
