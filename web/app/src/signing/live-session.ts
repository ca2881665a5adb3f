import { startAuthentication } from '@simplewebauthn/browser';
import type { SessionStreams } from '../../../../src/core/liveness/types.ts';
import { DeviceProtocol, type DeviceSessionIdentity } from '../../../../src/core/signature/device-protocol.ts';
import type { GatewayMessage, ResultMessage, SignMessage } from '../../../../src/core/signature/messages.ts';
import type { RevealEvent } from '../../../../src/core/stimulus/types.ts';
import type { SigningOutcome } from './messages.ts';
import type { SampleSource, SourceFailure } from './sources/source.ts';

/**
 * One live session over the gateway's WebSocket (docs/protocol.md §3), driven by the shared
 * DeviceProtocol: hello (the upgrade carried the app's session cookie), t = 0 when `start`
 * arrives, a chunk of every source's samples every 250 ms (empty if need be), `finish` once the
 * sustained duration has passed, the sign check, then the passkey assertion over the protocol's
 * challenge. A source that fails, or a page that goes away, closes the socket: the gateway counts
 * an aborted attempt and nothing is approved.
 */

export interface LiveSessionHooks {
  onStart?(durationMs: number): void;
  onReveal?(e: RevealEvent): void;
  onTick?(elapsedMs: number, durationMs: number): void;
  onSigning?(): void;
}

export interface LiveSessionEnd {
  outcome: SigningOutcome;
  sensor?: SourceFailure;
  result?: ResultMessage;
  closeCode?: number;
  transcriptHash?: string;
}

const CHUNK_MS = 250;

export function runLiveSession(o: {
  wsUrl: string;
  identity: DeviceSessionIdentity;
  sources: SampleSource[];
  hooks?: LiveSessionHooks;
  signal?: AbortSignal;
}): Promise<LiveSessionEnd> {
  const proto = new DeviceProtocol(o.identity);
  const hooks = o.hooks ?? {};
  return new Promise((resolve) => {
    const ws = new WebSocket(o.wsUrl);
    let t0 = 0;
    let timer: ReturnType<typeof setInterval> | undefined;
    let finished = false;
    let end: LiveSessionEnd | undefined;
    let result: ResultMessage | undefined;
    let transcriptHash: string | undefined;
    const send = (text: string): void => {
      if (ws.readyState === WebSocket.OPEN) ws.send(text);
    };
    const stop = (e: LiveSessionEnd): void => {
      end ??= e;
      if (timer !== undefined) clearInterval(timer);
      if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close(1000);
    };
    o.signal?.addEventListener('abort', () => stop({ outcome: 'cancelled' }));
    // A closed or hidden-and-discarded tab: the socket goes with it; say so to the gateway at once.
    const onHide = (): void => stop({ outcome: 'cancelled' });
    addEventListener('pagehide', onHide);

    const collect = (until: number): SessionStreams => {
      const samples: Record<string, unknown> = {};
      // Nothing past the sustained duration: the last chunk ends there.
      for (const s of o.sources) samples[s.modality] = s.take(Math.min(until, proto.durationMs));
      return samples as SessionStreams;
    };
    const sendChunk = (now: number): void => {
      const text = JSON.stringify(proto.chunk(collect(now), now));
      proto.recordSent(text);
      send(text);
    };
    const tick = (): void => {
      if (finished) return;
      const now = performance.now() - t0;
      const failed = o.sources.find((s) => s.failure() !== undefined);
      if (failed) return stop({ outcome: 'sensor', sensor: failed.failure()! });
      hooks.onTick?.(Math.min(now, proto.durationMs), proto.durationMs);
      sendChunk(now);
      if (now >= proto.durationMs) {
        finished = true;
        clearInterval(timer);
        send(JSON.stringify(proto.finish(performance.now() - t0)));
        hooks.onSigning?.();
      }
    };

    const onSign = async (m: SignMessage): Promise<void> => {
      const check = proto.checkSign(m);
      if (!check.ok) return stop({ outcome: 'device-refused' });
      transcriptHash = check.transcriptHash;
      try {
        const credential = await startAuthentication({
          optionsJSON: { challenge: check.challenge, rpId: m.rpId, allowCredentials: m.allowCredentials, userVerification: 'required', timeout: m.timeoutMs },
        });
        send(JSON.stringify({ v: 1, type: 'assertion', challengeId: o.identity.challengeId, credential }));
      } catch {
        stop({ outcome: 'passkey' });
      }
    };

    ws.onopen = () => {
      // No client assertion: the upgrade carried the app's session cookie (docs/approver-app.md §Signing module).
      const hello = proto.hello({ device: { kind: 'phone', software: 'analog-firewall approver app' } });
      ws.send(JSON.stringify(hello));
    };
    ws.onmessage = (ev: MessageEvent<string>) => {
      let m: GatewayMessage;
      try {
        m = JSON.parse(ev.data) as GatewayMessage;
      } catch {
        return stop({ outcome: 'connection' });
      }
      if (m.type === 'start') {
        t0 = performance.now();
        proto.onStart(m);
        for (const s of o.sources) s.begin(t0);
        hooks.onStart?.(m.durationMs);
        timer = setInterval(tick, CHUNK_MS);
      } else if (m.type === 'reveal') {
        const e = proto.onReveal(m);
        for (const s of o.sources) s.reveal?.(e);
        hooks.onReveal?.(e);
      } else if (m.type === 'sign') {
        void onSign(m);
      } else if (m.type === 'result') {
        result = m;
      }
    };
    ws.onclose = (ev) => {
      if (timer !== undefined) clearInterval(timer);
      removeEventListener('pagehide', onHide);
      for (const s of o.sources) s.close();
      const code = ev.code;
      let outcome: SigningOutcome;
      if (end) outcome = end.outcome;
      else if (result?.outcome === 'accepted') outcome = 'accepted';
      else if (code === 4423) outcome = 'locked';
      else if (code === 4409) outcome = 'unavailable';
      else if (result) outcome = 'refused';
      else outcome = 'connection';
      resolve({
        ...(end ?? {}),
        outcome,
        closeCode: code,
        ...(result === undefined ? {} : { result }),
        ...(transcriptHash === undefined ? {} : { transcriptHash }),
      });
    };
  });
}
