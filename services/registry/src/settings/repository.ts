/** SQL for the single `settings` row. */
import type { Selectable } from '@lumikb/db';
import type { SettingsTable } from '../db/database.ts';
import type { Db } from '../models/repository.ts';

export type SettingsRow = Selectable<SettingsTable>;

export async function readSettingsRow(db: Db, options: { forUpdate?: boolean } = {}): Promise<SettingsRow> {
  let query = db.selectFrom('settings').selectAll().where('id', '=', 1);
  if (options.forUpdate) query = query.forUpdate();
  return query.executeTakeFirstOrThrow();
}

export async function writeSettings(
  db: Db,
  values: { system?: Record<string, unknown>; generation_defaults?: Record<string, unknown>; updated_by: string },
): Promise<void> {
  await db
    .updateTable('settings')
    .set({
      ...(values.system ? { system: JSON.stringify(values.system) } : {}),
      ...(values.generation_defaults ? { generation_defaults: JSON.stringify(values.generation_defaults) } : {}),
      updated_by: values.updated_by,
    })
    .where('id', '=', 1)
    .execute();
}

/** Moves the settings version on by one (or to at least `atLeast`); returns the new version. */
export async function bumpVersion(db: Db, atLeast = 0): Promise<{ version: number; updated_at: Date }> {
  return db
    .updateTable('settings')
    .set((eb) => ({
      version: eb.fn('greatest', [eb('version', '+', 1), eb.val(atLeast)]),
      updated_at: new Date(),
    }))
    .where('id', '=', 1)
    .returning(['version', 'updated_at'])
    .executeTakeFirstOrThrow();
}
