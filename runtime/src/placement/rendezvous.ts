/**
 * Rendezvous (highest-random-weight) hashing: an agent belongs to the live node with the highest
 * score(node, agent). Pure and deterministic: every node computes the same answer from the same
 * membership, with no coordination and no shared ring state. When a node joins it wins exactly the
 * agents whose new top score is its own (~1/N of them); when one leaves only its agents move, each
 * to its runner-up. Cost is O(nodes) per agent, fine for tens of nodes.
 */

/**
 * cyrb53: a fast 53-bit string hash with good avalanche. Not cryptographic (agent names are not
 * adversarial here: a hostile name could at worst pick which node hosts it).
 */
export function hash53(text: string, seed = 0): number {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

export function score(nodeId: string, agent: string): number {
  // NUL cannot occur in either id, so ("ab","c") and ("a","bc") never collide by concatenation.
  return hash53(`${nodeId}\u0000${agent}`);
}

/** The owner of `agent` among `nodes`; undefined when there are no nodes. Ties go to the smaller id. */
export function ownerOf(agent: string, nodes: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestScore = -1;
  for (const node of nodes) {
    const s = score(node, agent);
    if (s > bestScore || (s === bestScore && best !== undefined && node < best)) {
      best = node;
      bestScore = s;
    }
  }
  return best;
}

/**
 * Owner of every agent. `keyOf` maps an agent to the key that is hashed (default: its name); in
 * Kafka mode it is the agent's partition key, so agents go where their partition is consumed.
 */
export function placeAll(
  agents: Iterable<string>,
  nodes: readonly string[],
  keyOf: (agent: string) => string = (a) => a,
): Map<string, string> {
  const out = new Map<string, string>();
  if (nodes.length === 0) return out;
  for (const a of agents) out.set(a, ownerOf(keyOf(a), nodes)!);
  return out;
}
