/** Grants follow the identity context: a deleted group's grants go with it. */
import { type EventOf, GroupDeleted, STREAMS } from '@lumikb/contracts';
import { applyOnce, EventConsumer } from '@lumikb/events';
import { recordAudit } from '@lumikb/service-kit';
import type { Registry } from 'prom-client';
import type { KbContext } from '../context.ts';

export const IDENTITY_CONSUMER = 'knowledge-base-identity';

export function createIdentityConsumer(ctx: KbContext, registry?: Registry): EventConsumer {
  return new EventConsumer({
    bus: ctx.bus,
    stream: STREAMS.USERS,
    durable: IDENTITY_CONSUMER,
    events: [GroupDeleted],
    concurrency: 1,
    logger: ctx.logger.child({ component: 'identity-events' }),
    ...(registry ? { registry } : {}),
    handle: async (event) => {
      const { id } = (event as EventOf<typeof GroupDeleted>).data;
      await applyOnce(ctx.db, IDENTITY_CONSUMER, event.id, async (trx) => {
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
      });
    },
  });
}
