package stack

import (
	"debug/elf"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
)

// BootstrapName is the executable the provided.al2023 runtime starts.
const BootstrapName = "bootstrap"

// ErrNoBootstrap is returned by CheckBootstrap when the asset directory holds
// no bootstrap executable.
var ErrNoBootstrap = errors.New("run make build first")

// CheckBootstrap verifies that dir holds the detector as the function runs it:
// a Linux ELF executable named bootstrap, built for arm64. Catching a missing
// or host-architecture build here turns a deploy that would fail at the first
// invocation into a synth error that says what to do.
func CheckBootstrap(dir string) error {
	path := filepath.Join(dir, BootstrapName)
	f, err := elf.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("lambda asset %s not found: %w", path, ErrNoBootstrap)
	}
	if err != nil {
		return fmt.Errorf("lambda asset %s is not a Linux executable (%v): run make build", path, err)
	}
	defer f.Close()
	if f.Machine != elf.EM_AARCH64 {
		return fmt.Errorf("lambda asset %s is built for %s, the function runs on arm64 (EM_AARCH64): run make build", path, f.Machine)
	}
	if f.Type != elf.ET_EXEC && f.Type != elf.ET_DYN {
		return fmt.Errorf("lambda asset %s is an ELF %s, not an executable: run make build", path, f.Type)
	}
	return nil
}
