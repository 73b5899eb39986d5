package testtool

import (
	"testing"
)

// fakeT records how a check ended without ending the real test.
type fakeT struct {
	testing.TB
	skipped, failed bool
}

func (f *fakeT) Helper()               {}
func (f *fakeT) Skipf(string, ...any)  { f.skipped = true }
func (f *fakeT) Fatalf(string, ...any) { f.failed = true }

func TestNeed(t *testing.T) {
	t.Setenv("BULLETIN_E2E", "")
	f := &fakeT{TB: t}
	if p := Need(f, "sh"); p[0] == "" || f.skipped || f.failed {
		t.Fatalf("sh: %v skipped=%v failed=%v", p, f.skipped, f.failed)
	}
	Need(f, "no-such-tool-bulletin")
	if !f.skipped || f.failed {
		t.Errorf("missing tool by hand: skipped=%v failed=%v", f.skipped, f.failed)
	}
	t.Setenv("BULLETIN_E2E", "1")
	f = &fakeT{TB: t}
	Need(f, "no-such-tool-bulletin")
	if !f.failed {
		t.Error("missing tool under BULLETIN_E2E=1 did not fail")
	}
}

func TestNeedPython(t *testing.T) {
	t.Setenv("BULLETIN_E2E", "")
	f := &fakeT{TB: t}
	NeedPython(f, "no_such_module_bulletin")
	if !f.skipped {
		t.Error("missing module did not skip")
	}
}
