#!/usr/bin/env node
// The `caxton` command. The implementation is TypeScript compiled to cli/dist (npx tsc -b cli).
import '../dist/src/main.js';
