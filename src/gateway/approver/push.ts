import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, linkSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:https';
import webpush from 'web-push';
import type { Logger } from 'pino';
import type { Clock } from '../../core/clock.ts';
import { FirewallError } from '../../core/errors.ts';
import type { Store } from '../ports/store.ts';
import type { PushSubscriptionRow } from '../ports/approver.ts';

/**
 * Web Push (RFC 8030, payload encryption RFC 8291, VAPID RFC 8292) to the phones people
 * subscribed, through the `web-push` library.
 *
 * The VAPID key is not one of the firewall's keys: it authorises nothing the firewall does, it only
 * identifies this gateway to push services. It lives in APP_PUSH_VAPID_FILE, default DATA_DIR/vapid.json (mode 0600, generated
 * on first start, never logged, never served; only its public half is). What a leak would allow is
 * limited by what is sent: a push says only that something awaits the person (kind and count),
 * never the action, so the key cannot be used to put words in front of an approver that look like
 * the firewall's. Moving it into the HSM needs an ES256 key purpose signing the VAPID JWT there
 * (docs/approver-app.md §Web Push, not done).
 */
/**
 * The VAPID key pair in `file`, made on first use. Replicas sharing one file (APP_PUSH_VAPID_FILE)
 * may start together: each writes a complete file under a temporary name and links it into place,
 * which only one link can do; the others read the winner's. A subscription made through any replica
 * then works from every replica.
 */
function vapidKeys(file: string): { publicKey: string; privateKey: string } {
  if (!existsSync(file)) {
    const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
    writeFileSync(tmp, JSON.stringify(webpush.generateVAPIDKeys()) + '\n', { mode: 0o600 });
    chmodSync(tmp, 0o600);
    try {
      linkSync(tmp, file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    } finally {
      unlinkSync(tmp);
    }
  }
  return readVapidKeys(file);
}

/** P-256 in base64url: a public key uncompressed (65 bytes), a private scalar (32 bytes). */
const VAPID_PUBLIC = /^[A-Za-z0-9_-]{87}$/;
const VAPID_PRIVATE = /^[A-Za-z0-9_-]{43}$/;

/**
 * The key pair in `file`, checked. A damaged file stops start-up naming the setting and the file,
 * never quoting it: it holds a private key (JSON.parse's own message would quote the text).
 */
function readVapidKeys(file: string): { publicKey: string; privateKey: string } {
  const refuse = (why: string, cause?: unknown): never => {
    throw new FirewallError('CONFIG_INVALID', `APP_PUSH_VAPID_FILE (${file}): ${why}; delete it to make a new key pair (phones then subscribe again)`, { status: 500, cause, detail: { variable: 'APP_PUSH_VAPID_FILE', file } });
  };
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    return refuse(`cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  let keys: unknown;
  try {
    keys = JSON.parse(text);
  } catch {
    return refuse('is not JSON');
  }
  const k = keys as { publicKey?: unknown; privateKey?: unknown } | null;
  if (typeof k !== 'object' || k === null || typeof k.publicKey !== 'string' || !VAPID_PUBLIC.test(k.publicKey)) return refuse("has no valid 'publicKey' (a P-256 public key, base64url)");
  if (typeof k.privateKey !== 'string' || !VAPID_PRIVATE.test(k.privateKey)) return refuse("has no valid 'privateKey' (a P-256 private key, base64url)");
  return { publicKey: k.publicKey, privateKey: k.privateKey };
}

export class PushNotifier {
  readonly publicKey: string;
  readonly #privateKey: string;
  readonly #subject: string;
  readonly #o: { store: Store; clock: Clock; log: Logger; allowLoopback: boolean };
  readonly #agent: Agent | undefined;

  /** `caFile`: extra CA certificates (PEM) to trust for push services (a corporate TLS proxy; tests). */
  constructor(o: { keyFile: string; subject: string; store: Store; clock: Clock; log: Logger; allowLoopback?: boolean; caFile?: string }) {
    const keys = vapidKeys(o.keyFile);
    this.publicKey = keys.publicKey;
    this.#privateKey = keys.privateKey;
    this.#subject = o.subject;
    this.#o = { store: o.store, clock: o.clock, log: o.log, allowLoopback: o.allowLoopback ?? false };
    this.#agent = o.caFile === undefined ? undefined : new Agent({ ca: readFileSync(o.caFile, 'utf8'), keepAlive: true });
  }

  /**
   * Push services are public https URLs. Refused: other schemes, and hosts that name this machine or
   * a private network (the gateway would be posting wherever a person points it); loopback only
   * when allowed (tests).
   */
  #checkEndpoint(endpoint: string): void {
    let u: URL;
    try {
      u = new URL(endpoint);
    } catch {
      throw new FirewallError('BODY_INVALID', "'endpoint' is not a URL", { status: 400, detail: { field: 'endpoint' } });
    }
    const host = u.hostname.replace(/^\[|\]$/g, '');
    const loopback = host === 'localhost' || /^127\./.test(host) || host === '::1';
    const internal = /^(10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.|169\.254\.|0\.)/.test(host) || /^(f[cd]|fe80)/i.test(host) || !host.includes('.') && !host.includes(':');
    if (u.protocol === 'https:' && (loopback ? this.#o.allowLoopback : !internal)) return;
    throw new FirewallError('BODY_INVALID', "'endpoint' must be a public https push service URL", { status: 400, detail: { field: 'endpoint' } });
  }

  async subscribe(person: string, s: Omit<PushSubscriptionRow, 'person'>): Promise<void> {
    this.#checkEndpoint(s.endpoint);
    const now = this.#o.clock.now();
    await this.#o.store.tx(async (tx) => tx.approver.putPush({ ...s, person }, now));
  }

  /** Deletes every subscription of the person (erased: nothing of theirs is kept, and nothing is sent to them). */
  async forget(person: string): Promise<void> {
    if ((await this.#o.store.approver.pushOf(person)).length > 0) await this.#o.store.tx(async (tx) => tx.approver.deletePushOf(person));
  }

  /** Tells each of the person's devices that something awaits them. Failures are logged (without the endpoint's secrets) and never affect an action. */
  async notify(person: string, payload: { kind: string; count?: number }): Promise<number> {
    let sent = 0;
    for (const s of await this.#o.store.approver.pushOf(person)) {
      try {
        await webpush.sendNotification({ endpoint: s.endpoint, keys: { p256dh: s.p256dh, auth: s.auth } }, JSON.stringify(payload), {
          vapidDetails: { subject: this.#subject, publicKey: this.publicKey, privateKey: this.#privateKey },
          TTL: 600,
          urgency: 'high',
          timeout: 5000,
          ...(this.#agent === undefined ? {} : { agent: this.#agent }),
        });
        sent++;
      } catch (e) {
        const status = (e as { statusCode?: number }).statusCode;
        // 404/410: the subscription is gone for good (RFC 8030 §7.3).
        if (status === 404 || status === 410) await this.#o.store.tx(async (tx) => tx.approver.deletePush(s.endpoint));
        this.#o.log.warn({ person, status, err: (e as Error).message.slice(0, 200) }, 'web push failed');
      }
    }
    return sent;
  }
}
