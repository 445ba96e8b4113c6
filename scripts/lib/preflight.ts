/** Checks that Postgres and NATS answer before anything starts, and says how to fix it. */
import { ensureDatabaseExists } from '@lumikb/db';
import { connect } from 'nats';
import pg from 'pg';

export class PreflightError extends Error {}

function where(url: string): string {
  const u = new URL(url);
  return `${u.hostname}:${u.port || (u.protocol.startsWith('postgres') ? 5432 : 4222)}`;
}

export async function checkPostgres(databaseUrl: string): Promise<{ created: boolean }> {
  const admin = new URL(databaseUrl);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString(), connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    await client.query('select 1');
  } catch (error) {
    throw new PreflightError(
      [
        `PostgreSQL is not reachable at ${where(databaseUrl)}: ${(error as Error).message}`,
        '  Start it, for example:',
        '    pg_ctlcluster 15 main start            (Debian/Ubuntu package)',
        '    docker compose up -d postgres          (where Docker runs)',
        '  or point DATABASE_URL at a server you have (postgres://user:password@host:5432/lumikb).',
      ].join('\n'),
    );
  } finally {
    await client.end().catch(() => {});
  }
  return { created: await ensureDatabaseExists(databaseUrl) };
}

export async function checkNats(natsUrl: string): Promise<void> {
  let nc: Awaited<ReturnType<typeof connect>> | undefined;
  try {
    nc = await connect({ servers: natsUrl, timeout: 3_000, reconnect: false });
  } catch (error) {
    throw new PreflightError(
      [
        `NATS is not reachable at ${where(natsUrl)}: ${(error as Error).message}`,
        '  Start it with JetStream enabled, for example:',
        '    nats-server -js -sd /var/lib/nats-server -a 127.0.0.1 -p 4222 &',
        '    docker compose up -d nats              (where Docker runs)',
        '  or point NATS_URL at a server you have.',
      ].join('\n'),
    );
  }
  try {
    const jsm = await nc.jetstreamManager({ timeout: 3_000 });
    await jsm.getAccountInfo();
  } catch {
    throw new PreflightError(
      `NATS at ${where(natsUrl)} answers but JetStream is off: restart nats-server with -js (and -sd <dir> to keep events).`,
    );
  } finally {
    await nc.close();
  }
}
