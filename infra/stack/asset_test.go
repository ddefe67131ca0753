package stack

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestCheckBootstrap_rejects(t *testing.T) {
	notELF := t.TempDir()
	if err := os.WriteFile(filepath.Join(notELF, BootstrapName), []byte("#!/bin/sh\necho hi\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Run("missing", func(t *testing.T) {
		err := CheckBootstrap(filepath.Join(t.TempDir(), "dist", "lambda"))
		if !errors.Is(err, ErrNoBootstrap) || !strings.Contains(err.Error(), "run make build first") {
			t.Errorf("CheckBootstrap(missing) = %v, want ErrNoBootstrap saying to run make build", err)
		}
	})
	t.Run("not ELF", func(t *testing.T) {
		err := CheckBootstrap(notELF)
		if err == nil || !strings.Contains(err.Error(), "is not a Linux executable") {
			t.Errorf("CheckBootstrap(script) = %v, want a not-an-executable error", err)
		}
	})
	t.Run("host architecture", func(t *testing.T) {
		if runtime.GOOS != "linux" || runtime.GOARCH == "arm64" {
			t.Skip("needs a non-arm64 Linux test binary as the wrong-architecture sample")
		}
		self, err := os.Executable()
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		if err := os.Symlink(self, filepath.Join(dir, BootstrapName)); err != nil {
			t.Fatal(err)
		}
		err = CheckBootstrap(dir)
		if err == nil || !strings.Contains(err.Error(), "the function runs on arm64") {
			t.Errorf("CheckBootstrap(%s binary) = %v, want a wrong-architecture error", runtime.GOARCH, err)
		}
	})
}
