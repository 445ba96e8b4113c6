export * from './database.ts';
export * from './migrate.ts';
export { sql, type Kysely, type Transaction, type Migration, type Selectable, type Insertable, type Updateable, type Generated, type ColumnType } from 'kysely';
