export {
  type ColumnType,
  type Generated,
  type Insertable,
  type Kysely,
  type Migration,
  type Selectable,
  sql,
  type Transaction,
  type Updateable,
} from 'kysely';
export * from './database.ts';
export * from './migrate.ts';
export * from './snapshot.ts';
