import type { Kysely, Transaction } from 'kysely';

/**
 * Runs `read` in one repeatable-read, read-only transaction: every query in it sees the
 * same snapshot. For a list endpoint's page and its total, which as two queries on two
 * pool connections can disagree under concurrent writes (a total of 3 beside a page of 2,
 * a queue card saying 1 failed beside an empty list). Inside a caller's transaction it
 * runs there: that transaction's isolation is the caller's choice.
 */
export function readSnapshot<DB, T>(
  db: Kysely<DB> | Transaction<DB>,
  read: (trx: Transaction<DB>) => Promise<T>,
): Promise<T> {
  if (db.isTransaction) return read(db as Transaction<DB>);
  return db.transaction().setIsolationLevel('repeatable read').setAccessMode('read only').execute(read);
}
