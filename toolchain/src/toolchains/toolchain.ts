/**
 * A language toolchain as `caxton toolchain list|install` and the build see it: whether it is
 * ready here, what it is (versions), and how to install it from this machine's registries
 * (Debian packages, PyPI, the Go module proxy), cached and idempotent.
 */
import type { AgentLanguage } from '../project.js';

export interface ToolchainStatus {
  language: AgentLanguage;
  ready: boolean;
  /** Component name → version, of what was found (empty when nothing was). */
  versions: Record<string, string>;
  /** What is missing or wrong, when not ready. */
  problem?: string;
  /** The command that makes it ready (`caxton toolchain install <language>`, or what it runs). */
  install: string;
}

export type ToolchainLog = (line: string) => void;

export interface Toolchain {
  language: AgentLanguage;
  /** One line: what this toolchain is made of and where it comes from. */
  describe: string;
  /** Cheap check (a version query or two); never installs. */
  status(): Promise<ToolchainStatus>;
  /** Installs what is missing (idempotent; serialised across processes by a lock). */
  install(log: ToolchainLog): Promise<ToolchainStatus>;
}
