/** One log entry of an action, as the approver app's trail shows it (action-trail.ts); no imports, so the page can use the type. */
export interface TrailItem {
  logIndex: number;
  type: string;
  /** ISO time of the entry. */
  at?: string;
  /** The person the entry names: `who`, `by` or `person`. */
  who?: string;
  role?: string;
  /** A person's own words (veto, decline, report) or the gateway's reason. */
  reason?: string;
  code?: string;
  /** The status the action left (`from`) where the entry names it. */
  from?: string;
}
