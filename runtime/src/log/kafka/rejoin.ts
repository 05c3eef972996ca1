/**
 * Does a group join continue this consumer's membership, or start a new one? A consumer that
 * crashed, was restarted, or was removed after its session timeout (UNKNOWN_MEMBER_ID) joins again
 * under a new member id; meanwhile other members may have held its partitions for a generation,
 * claimed them in the state topic and committed past what this node has in memory. Such a join is
 * a full revocation followed by a fresh assignment, even for partitions it gets back: trackers,
 * state loads and claims (decision 1800) and instance tenures (decision 2060) all start again.
 * Pure: the consumer tells it what happened.
 */
export class MembershipWatch {
  private memberId: string | undefined;
  private broken = false;

  /** The consumer crashed or is being restarted: whatever it joins next is a new membership. */
  interrupted(): void {
    this.broken = true;
  }

  /** A join completed under `memberId`: true when everything held before must be treated as revoked. */
  joined(memberId: string): boolean {
    const fresh = this.memberId !== undefined && (this.broken || memberId !== this.memberId);
    this.memberId = memberId;
    this.broken = false;
    return fresh;
  }
}
