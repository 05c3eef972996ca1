/**
 * A sandbox work item carrying one plain request to `agent`, for the benches that drive a Sandbox
 * directly (stdout-cost, host-call-cost): a fresh delivery and message id each call, nothing else
 * on the message, so what a bench times is the agent's handling of `content`.
 */
import type { Work } from '@caxton/sandbox';

let seq = 0;

export function messageWork(agent: string, content: string): Work {
  seq++;
  return {
    kind: 'message',
    agent,
    delivery: {
      id: `d-${seq}`,
      messageId: `m-${seq}`,
      receiver: agent,
      acceptedAt: 0,
      message: { performative: 'request', sender: { name: 'bench@test' }, receivers: [{ name: agent }], content },
    },
  };
}
