import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ConfigUpdated,
  DEFAULT_SETTINGS_SNAPSHOT,
  type SettingsSnapshot,
  STREAMS,
  SYSTEM_ACTOR,
} from '@lumikb/contracts';
import type { EventBus } from '@lumikb/events';
import { createServiceApp } from '@lumikb/service-kit';
import { createTestBus, generateSigningKeys, testLogger } from '@lumikb/test-kit';
import t from 'tap';
import { enforceUploadLimit, SettingsSubscriber } from '../src/index.ts';

function snapshot(version: number, maxUploadMb: number): SettingsSnapshot {
  return {
    ...DEFAULT_SETTINGS_SNAPSHOT,
    version,
    updated_at: new Date().toISOString(),
    system: { ...DEFAULT_SETTINGS_SNAPSHOT.system, max_upload_size_mb: maxUploadMb },
  };
}

async function publish(bus: EventBus, data: unknown) {
  const id = randomUUID();
  const envelope = { id, type: ConfigUpdated.type, occurredAt: new Date().toISOString(), actor: SYSTEM_ACTOR, data };
  await bus.publish(ConfigUpdated.type, Buffer.from(JSON.stringify(envelope)), id);
}

const changed = (version: number, maxUploadMb: number) => ({
  ...snapshot(version, maxUploadMb),
  reason: 'changed',
  scope: 'system',
  changed_fields: ['system.max_upload_size_mb'],
});

t.test('with nothing published, a service runs on the defaults', async (t) => {
  const { bus } = await createTestBus(t, { streams: [STREAMS.CONFIG] });
  const settings = await SettingsSubscriber.start({ bus, logger: testLogger() });
  t.teardown(() => settings.stop());
  t.equal(settings.source, 'defaults');
  t.equal(settings.version, 0);
  t.same(settings.system, DEFAULT_SETTINGS_SNAPSHOT.system);
  t.match(await settings.readiness().check(), { version: 0, source: 'defaults' });
});

t.test('a service loads the last published settings at start and follows every change', async (t) => {
  const { bus, prefix } = await createTestBus(t, { streams: [STREAMS.CONFIG] });
  await publish(bus, changed(3, 10));
  await publish(bus, changed(4, 20));

  const replica = async () => {
    const own = await createTestBus(t, { prefix });
    const s = await SettingsSubscriber.start({ bus: own.bus, logger: testLogger() });
    t.teardown(() => s.stop());
    return s;
  };
  const first = await replica();
  t.equal(first.source, 'stream');
  t.equal(first.version, 4, 'the latest snapshot, at once');
  t.equal(first.system.max_upload_size_mb, 20);

  const second = await replica();
  const seen: [number, number][] = [];
  first.onChange((next, previous) => seen.push([previous.version, next.version]));

  await publish(bus, changed(5, 30));
  await first.waitForVersion(5);
  await second.waitForVersion(5);
  t.equal(first.system.max_upload_size_mb, 30);
  t.equal(second.system.max_upload_size_mb, 30, 'every replica gets every change');
  t.same(seen, [[4, 5]]);

  await publish(bus, changed(2, 99));
  await publish(bus, { version: 'not a snapshot' });
  await publish(bus, changed(6, 40));
  await first.waitForVersion(6);
  t.equal(first.system.max_upload_size_mb, 40);
  t.same(
    seen,
    [
      [4, 5],
      [5, 6],
    ],
    'an older version and an invalid message are ignored',
  );

  await t.rejects(first.waitForVersion(99, 100), /not received within 100 ms/);
});

t.test('a change published while a service is starting is not lost', async (t) => {
  const { bus, prefix } = await createTestBus(t, { streams: [STREAMS.CONFIG] });
  await publish(bus, changed(1, 10));
  const own = await createTestBus(t, { prefix });
  const starting = SettingsSubscriber.start({ bus: own.bus });
  await publish(bus, changed(2, 11));
  const settings = await starting;
  t.teardown(() => settings.stop());
  await settings.waitForVersion(2);
  t.equal(settings.system.max_upload_size_mb, 11);
});

t.test('the upload limit applies to the next request, also to bodies without Content-Length', async (t) => {
  const source = { snapshot: snapshot(1, 1) };
  const keys = generateSigningKeys();
  const app = await createServiceApp({ service: 'uploads', logger: testLogger(), auth: { publicKey: keys.publicKey } });
  app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer', bodyLimit: 64 * 1024 * 1024 }, (_r, b, d) =>
    d(null, b),
  );
  app.post(
    '/upload',
    { config: { access: 'public' }, bodyLimit: 64 * 1024 * 1024, preParsing: enforceUploadLimit(source) },
    async (request) => ({ bytes: (request.body as Buffer).length }),
  );
  await app.listen({ port: 0, host: '127.0.0.1' });
  t.teardown(() => app.close());
  const { port } = app.server.address() as AddressInfo;

  const chunked = (bytes: number) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(
        {
          port,
          host: '127.0.0.1',
          method: 'POST',
          path: '/upload',
          headers: { 'content-type': 'application/octet-stream' },
        },
        (res) => {
          let body = '';
          res.on('data', (c) => {
            body += c;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on('error', reject);
      // Written in pieces without a length: the limit must be enforced while streaming.
      const piece = Buffer.alloc(64 * 1024, 1);
      let sent = 0;
      const write = () => {
        while (sent < bytes) {
          sent += piece.length;
          if (!req.write(piece)) return req.once('drain', write);
        }
        req.end();
      };
      write();
    });

  t.equal((await chunked(512 * 1024)).status, 200);
  const refused = await chunked(2 * 1024 * 1024);
  t.equal(refused.status, 413);
  t.match(JSON.parse(refused.body), { code: 'PAYLOAD_TOO_LARGE', message: 'Uploads are limited to 1 MiB' });

  source.snapshot = snapshot(2, 4);
  t.equal((await chunked(2 * 1024 * 1024)).status, 200, 'a raised limit applies to the next request');
});
