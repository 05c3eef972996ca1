/** The limits an operator deploys an agent under (the node resolves defaults and maxima). */
export interface AgentLimitsSpec {
  /** Fuel per handled message (and for init). */
  fuelPerMessage: number;
  /** Memory cap in 64 KiB wasm pages. */
  memoryPages: number;
}
