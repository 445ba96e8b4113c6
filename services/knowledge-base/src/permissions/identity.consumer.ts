/** Grants follow the identity context: a deleted group's grants go with it. */
import { type EventOf, GroupDeleted, STREAMS } from '@lumikb/contracts';
import { projectionConsumer } from '@lumikb/events';
import { recordAudit } from '@lumikb/service-kit';
import type { KbContext } from '../context.ts';
import type { KnowledgeBaseDatabase } from '../db/database.ts';

export const identityConsumer = projectionConsumer<KbContext, KnowledgeBaseDatabase>({
  stream: STREAMS.USERS,
  durable: 'knowledge-base-identity',
  events: [GroupDeleted],
  concurrency: 1,
  component: 'identity-events',
  apply: async (trx, event) => {
    const { id } = (event as EventOf<typeof GroupDeleted>).data;
    const removed = await trx
      .deleteFrom('kb_permissions')
      .where('principal_type', '=', 'group')
      .where('principal_id', '=', id)
      .returning(['kb_id', 'permission'])
      .execute();
    if (removed.length === 0) return;
    await recordAudit(
      trx,
      'knowledge-base',
      {
        action: 'kb.permission.revoke',
        resourceType: 'group',
        resourceId: id,
        oldValue: { grants: removed },
        newValue: { reason: 'group deleted' },
      },
      { actor: event.actor, ...(event.requestId ? { requestId: event.requestId } : {}) },
    );
  },
});
