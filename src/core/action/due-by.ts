/**
 * Whether a record is due by `at` (always, when no `at` is asked): its `dueAt` set and not later.
 * The stores check it on the record they hold when an update asks for it (ports/actions.ts `dueBy`).
 */
export function isDueBy(record: { dueAt: number | null }, at: number | undefined): boolean {
  return at === undefined || (record.dueAt !== null && record.dueAt <= at);
}
