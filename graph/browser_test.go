package graph_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/creditgraph/creditgraph/storage/storagetest"
)

// The auditor's playground in a real browser: headless Chromium opens /, the auditor's token is
// set as a header, a query runs, and the result shows persons with masked ID numbers. It runs
// when CREDITGRAPH_BROWSER names a Chromium binary (.ci/run installs Debian's chromium and sets
// it); the screenshot goes to CREDITGRAPH_SCREENSHOT, or the test's temporary directory.
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
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	defer cancelTimeout()

	headers, _ := json.Marshal(map[string]string{"Authorization": "Bearer " + env.secrets["demo-auditor-all"]})
	query := `{ naturalPersons(first: 3, orderBy: {field: NAME}) { totalCount edges { node { name idNumber } } } }`
	step := func(what string, a chromedp.Action[chromedp.Void]) {
		t.Helper()
		if _, err := chromedp.Run(ctx, a); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	run := chromedp.CSS(".graphiql-execute-button")
	step("open the playground", chromedp.Navigate(env.srv.URL+"/"))
	step("wait for GraphiQL", chromedp.WaitVisible(run))
	// What a user types into the Headers and query editors, set where GraphiQL keeps them.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`localStorage.setItem("graphiql:headers", `+jsString(string(headers))+`);
		localStorage.setItem("graphiql:query", `+jsString(query)+`); true`)); err != nil {
		t.Fatalf("setting the token: %v", err)
	}
	step("reload", chromedp.Reload())
	step("wait for GraphiQL", chromedp.WaitVisible(run))
	step("run the query", chromedp.Click(run))
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`(document.querySelector(".graphiql-response") || {innerText: ""}).innerText.includes("totalCount")`,
		chromedp.WithPollingTimeout(30*time.Second))); err != nil {
		t.Fatalf("waiting for the result: %v", err)
	}
	result, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(".graphiql-response")))
	if err != nil {
		t.Fatal(err)
	}
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // quality 100 is PNG
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(result, `"totalCount": 30`) || !strings.Contains(result, "**********") {
		t.Errorf("the playground shows %q; want 30 persons with masked ID numbers", result)
	}
	path := os.Getenv("CREDITGRAPH_SCREENSHOT")
	if path == "" {
		path = filepath.Join(t.TempDir(), "playground.png")
	}
	if err := os.WriteFile(path, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s (%d bytes)", path, len(shot))
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
