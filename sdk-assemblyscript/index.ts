// Package entry for `import … from "@caxton/sdk-assemblyscript"` (asc resolves <package>/index.ts).
export * from "./assembly/index";
