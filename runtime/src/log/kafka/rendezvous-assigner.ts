/**
 * kafkajs partition assigner that places partitions with partition-placement.ts: each member
 * announces its node id in its subscription user data; the group leader runs the pure assignment.
 * Replaces kafkajs' round-robin, under which a partition's owner would depend on member-id order —
 * unknowable to the placement controller.
 */
import kafkajs from 'kafkajs';
import type { PartitionAssigner } from 'kafkajs';
import { assignPartitions } from './partition-placement.js';

const { AssignerProtocol } = kafkajs;
export const ASSIGNER_NAME = 'caxton-rendezvous';
const VERSION = 1;

export function rendezvousAssigner(nodeId: string, topic: string): PartitionAssigner {
  return ({ cluster }) => ({
    name: ASSIGNER_NAME,
    version: VERSION,
    async assign({ members }) {
      await cluster.refreshMetadata(); // a partition count change must not be assigned from stale metadata
      const partitions = cluster.findTopicPartitionMetadata(topic).length;
      const decoded = members.map((m) => {
        const meta = AssignerProtocol.MemberMetadata.decode(m.memberMetadata);
        // A member without a node id (should not happen) still gets a stable identity.
        const node = meta?.userData?.length ? meta.userData.toString('utf8') : m.memberId;
        return { memberId: m.memberId, nodeId: node };
      });
      const plan = assignPartitions(partitions, decoded);
      return [...plan].map(([memberId, owned]) => ({
        memberId,
        memberAssignment: AssignerProtocol.MemberAssignment.encode({
          version: VERSION,
          assignment: { [topic]: owned },
          userData: Buffer.alloc(0),
        }),
      }));
    },
    protocol({ topics }) {
      return {
        name: ASSIGNER_NAME,
        metadata: AssignerProtocol.MemberMetadata.encode({ version: VERSION, topics, userData: Buffer.from(nodeId, 'utf8') }),
      };
    },
  });
}
