package main

import (
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"
)

// version is set at link time (-ldflags "-X main.version=v1.2.3"); otherwise
// the module version and VCS revision recorded in the binary are shown.
var version = ""

var versionCmd = &command{
	name:    "version",
	summary: "print the version of trailwatch",
	usage:   "trailwatch version",
	help: `Prints the version, the VCS revision the binary was built from when known,
the Go version and the platform.

Exit status: 0, or 2 when given arguments.
`,
	run: func(c *command, e *env, args []string) int {
		fs := newFlagSet("version")
		rest, err := parseArgs(fs, args)
		if err == nil && len(rest) > 0 {
			err = errors.New("version takes no arguments")
		}
		if err != nil {
			return e.usageError(c, err)
		}
		fmt.Fprintln(e.stdout, versionString())
		return exitOK
	},
}

// versionString returns "trailwatch VERSION [REVISION] GOVERSION OS/ARCH".
func versionString() string {
	v, rev := version, ""
	if info, ok := debug.ReadBuildInfo(); ok {
		if v == "" {
			v = info.Main.Version
		}
		var modified bool
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
		if len(rev) > 12 {
			rev = rev[:12]
		}
		if rev != "" && modified {
			rev += "+dirty"
		}
	}
	if v == "" {
		v = "(devel)"
	}
	s := "trailwatch " + v
	if rev != "" {
		s += " " + rev
	}
	return fmt.Sprintf("%s %s %s/%s", s, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
