/**
 * The SDK's ParentBasedSampler with its default delegates (a sampled parent's child is sampled,
 * an unsampled parent's is not recorded, a root is the root sampler's), deciding for a valid
 * parent without the API's id regexes: every handled message's span has one (decision 2186).
 * Anything else — no parent, an invalid one — goes to the SDK's own shouldSample.
 */
import { SamplingDecision, TraceFlags, trace, type Attributes, type Context, type Link, type SpanKind } from '@opentelemetry/api';
import { ParentBasedSampler, type Sampler, type SamplingResult } from '@opentelemetry/sdk-trace';
import { validHexId } from '../w3c-context.js';

const SAMPLED: SamplingResult = Object.freeze({ decision: SamplingDecision.RECORD_AND_SAMPLED });
const NOT_RECORDED: SamplingResult = Object.freeze({ decision: SamplingDecision.NOT_RECORD });

export class NodeParentBasedSampler extends ParentBasedSampler {
  constructor(root: Sampler) {
    super({ root });
  }

  override shouldSample(
    context: Context,
    traceId: string,
    name: string,
    kind: SpanKind,
    attributes: Attributes,
    links: Link[],
  ): SamplingResult {
    const parent = trace.getSpanContext(context);
    if (parent === undefined || !validHexId(parent.traceId, 32) || !validHexId(parent.spanId, 16))
      return super.shouldSample(context, traceId, name, kind, attributes, links);
    // The default delegates: AlwaysOn for a sampled parent (remote or local), AlwaysOff otherwise.
    return (parent.traceFlags & TraceFlags.SAMPLED) !== 0 ? SAMPLED : NOT_RECORDED;
  }
}
