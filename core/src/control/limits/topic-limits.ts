/** The node-wide bounds of topics, subscription filters and topic allow-lists (decisions 1960, 1961, 2050). */

/**
 * The bounds of topics and subscription filters (decision 1960): node-wide rules on the data, not
 * per-deployment agent limits, so not rows of the table above. A filter is checked against them when it is parsed, so that
 * evaluating it costs at most `maxFilterClauses × maxFilterValues` string comparisons per message.
 */
export const TOPIC_LIMITS = Object.freeze({
  /** Longest topic name, in UTF-16 code units. */
  maxTopicNameLength: 200,
  /** Clauses one filter may have (each one ACL field). */
  maxFilterClauses: 16,
  /** Values one set (`in`) clause may list. */
  maxFilterValues: 64,
  /** Longest value or prefix a clause may compare with, in code units. */
  maxFilterValueLength: 256,
  /**
   * Longest filter in all, in code units: every value and prefix it compares with, summed
   * (decision 1960, review fix). A subscription is a registry record: the clause and value
   * bounds alone let one reach 262,144 code units of values.
   */
  maxFilterTotalLength: 16_384,
  /** Topics one agent may be subscribed to at once. */
  maxSubscriptionsPerAgent: 100,
  /**
   * Longest filter an agent may pass as JSON text to `caxton:agent/topics` `subscribe`, in code
   * units (decision 1961): checked before the text is read or parsed. Every filter within
   * `maxFilterTotalLength` and the clause and value bounds fits when its values are written
   * plainly (16,384 code units of values plus the JSON around 16 × 64 of them); one that escapes
   * every character as `\uXXXX` may not.
   */
  maxFilterTextLength: 32_768,
  /**
   * Patterns one deployment's topic allow-list may hold (`caxton deploy --topics`, decision 2050).
   * Each is at most `maxTopicNameLength` code units, so checking a topic against a list is at most
   * 32 prefix comparisons of 200 code units.
   */
  maxTopicPatterns: 32,
});
