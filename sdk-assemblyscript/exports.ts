// Re-export this from your agent's entry file; it provides the component's canonical-ABI exports:
//   export * from "@caxton/sdk-assemblyscript/exports";
export * from "./assembly/abi/exports";
