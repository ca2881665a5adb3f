/**
 * The variables a CLI command run beside `start` must share with it to reach the same store and
 * print the same links (config.ts, signatures/config.ts, approver/config.ts). DATABASE_URL is
 * among them; one with a password is named, never printed.
 */
const SHARED = ['PORT', 'HOST', 'DATA_DIR', 'DATABASE_URL', 'PUBLIC_URL', 'TLS_CERT', 'TLS_KEY', 'WEBAUTHN_RP_ID', 'WEBAUTHN_ORIGINS', 'APP_ORIGIN'] as const;

function holdsPassword(url: string): boolean {
  try {
    return new URL(url).password !== '';
  } catch {
    return true; // not a URL the gateway would take either: printed nowhere
  }
}

/** POSIX shell single quoting; plain words as they are (a few characters: no library needed). */
function shellWord(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`;
}

/**
 * `command` as a user types it in a second terminal: prefixed with the shared variables this
 * process was started with, so that a gateway on another port or data directory is the one reached.
 */
export function withSameEnv(env: Record<string, string | undefined>, command: string): string {
  const given = SHARED.filter((n) => env[n] !== undefined && env[n] !== '');
  const secret = given.includes('DATABASE_URL') && holdsPassword(env['DATABASE_URL']!);
  const line = [...given.filter((n) => !(secret && n === 'DATABASE_URL')).map((n) => `${n}=${shellWord(env[n]!)}`), command].join(' ');
  return secret ? `${line}  (with the same DATABASE_URL)` : line;
}
