// Package main is the smallest Go agent; `caxton toolchain install go` builds it once so Go's
// runtime and the SDK are compiled for wasip1/wasm into caxton's build cache before the first
// real agent build.
package main

import "caxton.dev/caxton"

type idle struct{ caxton.BaseAgent }

func init() { caxton.Register(idle{}) }

func main() {}
