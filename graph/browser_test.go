package graph_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/creditgraph/creditgraph/storage/storagetest"
)

// The auditor's playground in a real browser (issue 14, point 2): headless Chromium opens /,
// the opening example runs for the public without an error; a token typed into the Headers tab
// makes the documentation explorer list the schema's types (the page fetches the schema again
// when the token changes); a query shows persons with masked ID numbers; a subscription run
// from the playground over graphql-ws delivers the event of a penalty recorded meanwhile; and
// no request of the page fails (no 404 for the icon). It runs when CREDITGRAPH_BROWSER names a
// Chromium binary (.ci/run installs Debian's chromium and a CJK font and sets it); the
// screenshots go beside CREDITGRAPH_SCREENSHOT, or to the test's temporary directory.
func TestAuditorPlaygroundInBrowser(t *testing.T) {
	browser := os.Getenv("CREDITGRAPH_BROWSER")
	if browser == "" {
		t.Skip("CREDITGRAPH_BROWSER is not set")
	}
	env := newEnv(t, storagetest.Engines()[0], 20)
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(browser), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true), chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1400, 900))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(alloc)
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, 120*time.Second)
	defer cancelTimeout()

	var (
		mu     sync.Mutex
		failed []string
	)
	if err := chromedp.Listen(ctx, func(ev any) {
		if r, ok := ev.(*network.EventResponseReceived); ok && r.Response.Status >= 400 {
			mu.Lock()
			failed = append(failed, fmt.Sprintf("%d %s", r.Response.Status, r.Response.URL))
			mu.Unlock()
		}
	}); err != nil {
		t.Fatal(err)
	}
	step := func(what string, a chromedp.Action[chromedp.Void]) {
		t.Helper()
		if _, err := chromedp.Run(ctx, a); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	eval := func(what, js string) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js+"; true")); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	waitFor := func(what, js string) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](js, chromedp.WithPollingTimeout(30*time.Second))); err != nil {
			t.Fatalf("waiting for %s: %v", what, err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	const response = `(document.querySelector(".graphiql-response") || {innerText: ""}).innerText`
	// The editors are CodeMirror instances: set one as typing would.
	setEditor := func(what, sel, value string) {
		t.Helper()
		eval("setting "+what, `document.querySelector(`+jsString(sel)+`).CodeMirror.setValue(`+jsString(value)+`)`)
	}
	run := chromedp.CSS(".graphiql-execute-button")

	step("open the playground", chromedp.Navigate(env.srv.URL+"/"))
	step("wait for GraphiQL", chromedp.WaitVisible(run))
	step("run the opening example", chromedp.Click(run))
	waitFor("the opening example's result", response+`.includes("totalCount")`)
	if r := text(".graphiql-response"); strings.Contains(r, `"errors"`) {
		t.Errorf("the opening example fails for the public: %s", r)
	}
	screenshot(t, ctx, "welcome")

	// A token typed into the Headers tab: the schema is fetched again with it.
	headers, _ := json.Marshal(map[string]string{"Authorization": "Bearer " + env.secrets["demo-auditor-all"]})
	setEditor("the token", ".graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror", string(headers))
	step("open the documentation explorer", chromedp.Click(chromedp.CSS(`[aria-label="Show Documentation Explorer"]`)))
	waitFor("the schema's types in the docs", `(document.querySelector(".graphiql-doc-explorer") || {innerText: ""}).innerText.includes("AdministrativePenalty")`)
	docs := text(".graphiql-doc-explorer")
	for _, want := range []string{"Query", "Mutation", "Subscription", "MarketEntity", "NaturalPerson", "CreditEvent"} {
		if !strings.Contains(docs, want) {
			t.Errorf("the documentation explorer does not list %s: %.300s", want, docs)
		}
	}
	screenshot(t, ctx, "docs")

	setEditor("the query", ".graphiql-query-editor .CodeMirror", `{ naturalPersons(first: 3, orderBy: {field: NAME}) { totalCount edges { node { name idNumber } } } }`)
	step("run the query", chromedp.Click(run))
	waitFor("the persons", response+`.includes("naturalPersons")`)
	if result := text(".graphiql-response"); !strings.Contains(result, `"totalCount": 30`) || !strings.Contains(result, "**********") {
		t.Errorf("the playground shows %q; want 30 persons with masked ID numbers", result)
	}

	// A subscription from the playground, and a penalty recorded meanwhile.
	setEditor("the subscription", ".graphiql-query-editor .CodeMirror", `subscription { creditEvents(types: [RECORDED]) { type recordType summary } }`)
	step("start the subscription", chromedp.Click(run))
	delivered := false
	for i := 0; i < 5 && !delivered; i++ {
		time.Sleep(time.Second) // graphql-ws does not acknowledge a subscription: let it start
		env.as("demo-market-clerk").mustData(createPenaltyQ, penaltyInput(env, "market-320000", fmt.Sprintf("BROWSER-%d", i)), nil)
		_, err := chromedp.Run(ctx, chromedp.Poll[bool](response+`.includes("RECORDED")`, chromedp.WithPollingTimeout(5*time.Second)))
		delivered = err == nil
	}
	if !delivered {
		t.Errorf("the playground's subscription delivered no event: %q", text(".graphiql-response"))
	}
	screenshot(t, ctx, "subscription")

	mu.Lock()
	defer mu.Unlock()
	if len(failed) > 0 {
		t.Errorf("requests of the page failed: %v", failed)
	}
}

// screenshot saves the page as name.png beside CREDITGRAPH_SCREENSHOT (or in the test's
// temporary directory).
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // quality 100 is PNG
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if p := os.Getenv("CREDITGRAPH_SCREENSHOT"); p != "" {
		dir = filepath.Dir(p)
		name = strings.TrimSuffix(filepath.Base(p), ".png") + "-" + name
	}
	path := filepath.Join(dir, name+".png")
	if err := os.WriteFile(path, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s (%d bytes)", path, len(shot))
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
