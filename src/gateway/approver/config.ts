import { FirewallError } from '../../core/errors.ts';

/** The approver app's settings (docs/approver-app.md §Configuration). */
export interface ApproverConfig {
  /** A session ends after this long without a request (ms). */
  sessionIdleMs: number;
  /** …and after this long in any case (ms). */
  sessionMaxMs: number;
  /** Default lifetime of an invitation link (ms). */
  invitationTtlMs: number;
  /** Where the app is served to people, e.g. https://firewall.example:8443 (no path). */
  appOrigin: string;
  /** Origins a state-changing request may come from (the WebAuthn origins). */
  origins: string[];
}

function seconds(env: Record<string, string | undefined>, name: string, dflt: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return dflt * 1000;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new FirewallError('CONFIG_INVALID', `environment variable ${name}: '${raw}' is not a whole number of seconds in ${min}..${max}`, { status: 500, detail: { variable: name } });
  }
  return v * 1000;
}

/** `origins` are the WebAuthn origins; the app's own is APP_ORIGIN or the first of them whose host is the RP ID. */
export function loadApproverConfig(env: Record<string, string | undefined>, origins: string[], rpId: string): ApproverConfig {
  const named = env['APP_ORIGIN'];
  const appOrigin = named !== undefined && named !== '' ? named.replace(/\/+$/, '') : (origins.find((o) => new URL(o).hostname === rpId) ?? origins[0]!);
  if (!origins.includes(appOrigin)) {
    throw new FirewallError('CONFIG_INVALID', `environment variable APP_ORIGIN: '${appOrigin}' is not one of WEBAUTHN_ORIGINS (passkeys would not work there)`, { status: 500, detail: { variable: 'APP_ORIGIN' } });
  }
  return {
    sessionIdleMs: seconds(env, 'APP_SESSION_IDLE_SEC', 900, 60, 86_400),
    sessionMaxMs: seconds(env, 'APP_SESSION_MAX_SEC', 43_200, 300, 604_800),
    invitationTtlMs: seconds(env, 'APP_INVITATION_TTL_SEC', 86_400, 60, 30 * 86_400),
    appOrigin,
    origins,
  };
}
