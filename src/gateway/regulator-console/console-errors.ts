import { FirewallError } from '../../core/errors.ts';

/**
 * The console's own refusals (docs/regulator.md §7 lists them with their statuses). Every other
 * code the console answers with comes from the service it calls (AUTH_INVALID, SCOPE_INSUFFICIENT,
 * LOG_BAD_REQUEST, EXPORT_RANGE_*, …).
 */
export type ConsoleErrorCode =
  | 'SESSION_REQUIRED'
  | 'REGULATOR_SESSION_EXPIRED'
  | 'SIGN_IN_REFUSED'
  | 'CEREMONY_EXPIRED'
  | 'COUNTER_REGRESSION'
  | 'INVITATION_UNKNOWN'
  | 'INVITATION_USED'
  | 'INVITATION_EXPIRED'
  | 'INVITATION_INVALID';

const STATUS: Record<ConsoleErrorCode, number> = {
  SESSION_REQUIRED: 401,
  REGULATOR_SESSION_EXPIRED: 401,
  SIGN_IN_REFUSED: 401,
  CEREMONY_EXPIRED: 409,
  COUNTER_REGRESSION: 409,
  INVITATION_UNKNOWN: 404,
  INVITATION_USED: 410,
  INVITATION_EXPIRED: 410,
  INVITATION_INVALID: 409,
};

export function consoleError(code: ConsoleErrorCode, message: string, o: { cause?: unknown; detail?: Record<string, unknown> } = {}): FirewallError {
  return new FirewallError(code, message, { status: STATUS[code], ...o });
}
