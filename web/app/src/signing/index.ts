import type { Modality } from '../../../../src/core/policy/modality.ts';
import { descriptorDigest } from '../../../../src/core/signature/device-protocol.ts';
import { enrolmentDigest } from '../../../../src/core/signature/transcript.ts';
import { breathingGuideFromReveals } from '../../../../src/core/stimulus/hrv.ts';
import type { RevealEvent } from '../../../../src/core/stimulus/types.ts';
import { GatewayApi, GatewayError, type ChallengeView } from './gateway-api.ts';
import { GESTURE_TEXT, unsupportedReason } from './guide.ts';
import { runLiveSession, type LiveSessionEnd } from './live-session.ts';
import { OUTCOME_MESSAGES, SENSOR_MESSAGES, STILL_PENDING, WITNESS_PATH, type SigningOutcome } from './messages.ts';
import { capturePlan, meetsRoles, type CapturePlan } from './plan.ts';
import { LivePlot } from './plot.ts';
import { HeartRateSource } from './sources/heart-rate.ts';
import { MotionSource } from './sources/motion.ts';
import type { SampleSource } from './sources/source.ts';
import { TypingSource } from './sources/typing.ts';
import { VoiceSource } from './sources/voice.ts';
import { SigningView } from './view.ts';
import './signing.css';

export type { SigningOutcome } from './messages.ts';

export interface SigningOptions {
  /** Origin of the gateway's API and WebSocket; default the page's own origin. */
  gatewayOrigin?: string;
  personId: string;
  mode: 'sign' | 'calibrate';
  /** sign: the challenge to answer; calibrate: an enrolment challenge already issued (else one is asked for). */
  challengeId?: string;
  /** sign: the action; its open challenge for this person is used (or a fresh one is asked for). */
  actionId?: string;
  /** The passkey (credential id, base64url) that signs; default the person's only active device. */
  credentialId?: string;
  /** Modalities ticked at first (default: motion where the browser has it, else the first usable). */
  modalities?: Modality[];
  /** calibrate: the session's length, ms (20 000–300 000; the gateway's default is 30 000). */
  durationMs?: number;
  onDone(result: SigningResult): void;
}

export interface SigningResult {
  outcome: SigningOutcome;
  /** What the screen told the person. */
  message: string;
  challengeId?: string;
  actionStatus?: string;
  logIndex?: number;
  /** A fresh challenge the gateway issued for another try (docs/protocol.md §5). */
  nextChallengeId?: string;
}

const ALL: Modality[] = ['motion', 'typing', 'voice', 'hrv', 'gaze', 'eda'];
const PLOT_LABEL: Record<Modality, string> = {
  motion: 'total acceleration (g)',
  typing: 'time between keys (ms)',
  voice: 'voice pitch (Hz)',
  hrv: 'heart rate (beats per minute)',
  gaze: '',
  eda: '',
};

/** Groups of four hex digits: a short fingerprint of the digest to compare across screens. */
function fingerprint(digest: string): string {
  return (digest.slice(0, 16).match(/.{4}/g) ?? []).join(' ');
}

/**
 * Mounts the live-signing screen (docs/protocol.md over the WebSocket) in `container`. Returns a
 * function that unmounts it and ends a session under way (which then fails closed).
 */
export function mountSigning(container: HTMLElement, options: SigningOptions): () => void {
  const api = new GatewayApi(options.gatewayOrigin ?? location.origin);
  const view = new SigningView(container, options.mode);
  const abort = new AbortController();
  let done = false;
  const finish = (r: SigningResult): void => {
    if (done) return;
    done = true;
    view.showOutcome(r.message);
    view.root.dataset['outcome'] = r.outcome;
    options.onDone(r);
  };
  const fail = (outcome: SigningOutcome, detail?: string, challengeId?: string, next?: string): void =>
    finish({
      outcome,
      message: [detail ?? OUTCOME_MESSAGES[outcome as Exclude<SigningOutcome, 'sensor'>], options.mode === 'sign' ? STILL_PENDING : 'The calibration was not recorded.'].join(' '),
      ...(challengeId === undefined ? {} : { challengeId }),
      ...(next === undefined ? {} : { nextChallengeId: next }),
    });

  // What the challenge's roles ask of this browser (set once the challenge is loaded).
  let plan: CapturePlan | undefined;
  void (async () => {
    let challenge: ChallengeView | undefined;
    try {
      if (options.mode === 'sign') {
        challenge = await resolveChallenge(api, options);
        if (challenge.descriptor === undefined || descriptorDigest(challenge.descriptor) !== challenge.digest) return fail('device-refused', undefined, challenge.id);
        view.showSummary(challenge.summary?.text ?? '', fingerprint(challenge.digest));
        // The policy's roles sent this person to the institutional witness (docs/protocol.md §7): no session here.
        if (challenge.mode === 'witness') return finish({ outcome: 'unavailable', message: `${WITNESS_PATH} ${STILL_PENDING}`, challengeId: challenge.id });
      } else {
        if (options.challengeId !== undefined) {
          challenge = await api.challenge(options.challengeId);
          if (challenge.purpose !== 'enrolment' || challenge.digest !== enrolmentDigest(options.personId, challenge.id)) return fail('device-refused', undefined, challenge.id);
        }
        view.showSummary('Practice sessions build your personal reference. Nothing is authorised.', undefined);
      }
    } catch (e) {
      return fail(e instanceof GatewayError && e.status >= 500 ? 'connection' : 'unavailable');
    }
    const offered = challenge?.modalities ?? ALL;
    const durationMs = challenge?.sustainedMs ?? options.durationMs ?? 30_000;
    // What the challenge's roles ask, met with the sensors this browser has (plan.ts).
    plan = capturePlan({ modalities: offered, sustainedMs: durationMs, ...(challenge?.roles === undefined ? {} : { roles: challenge.roles }) }, (m) => unsupportedReason(m) === undefined);
    view.showChoices(offered, options.modalities ?? plan.preselect, durationMs, plan.needs, plan.unmet === undefined ? undefined : `${plan.unmet} ${STILL_PENDING}`);
    view.start.addEventListener('click', () => void start(challenge));
  })();

  const start = async (given: ChallengeView | undefined): Promise<void> => {
    const modalities = view.chosen();
    if (modalities.length === 0) {
      view.status.textContent = 'Choose at least one way to sign.';
      return;
    }
    // Less than the plan would be refused at the hello (ROLES_NOT_MET): say what it needs instead.
    if (!meetsRoles(given?.roles, modalities)) {
      view.notice(`Not enough is ticked. ${plan?.needs ?? ''}`);
      return;
    }
    view.start.disabled = true;
    view.alert.replaceChildren();
    view.status.textContent = 'Preparing the sensors…';
    const wordLine = (word: string) => {
      view.words.textContent = `Next word: ${word}`;
    };
    const sources: SampleSource[] = modalities.map((m) => {
      if (m === 'motion') return new MotionSource();
      if (m === 'typing') return new TypingSource(view.typing, wordLine);
      if (m === 'voice') return new VoiceSource();
      return new HeartRateSource();
    });
    // Permissions first, inside the click (iOS motion, Web Bluetooth's chooser, the microphone).
    for (const s of sources) {
      try {
        await s.open();
      } catch {
        // Nothing has started (the challenge is untouched): the person may choose another way.
        for (const x of sources) x.close();
        view.notice([SENSOR_MESSAGES[s.failure() ?? 'unavailable'], options.mode === 'sign' ? STILL_PENDING : 'The calibration was not recorded.'].join(' '));
        return;
      }
    }
    let challenge = given;
    try {
      if (challenge === undefined) {
        challenge = await api.enrolmentSession(options.personId, modalities, options.durationMs);
        if (challenge.digest !== enrolmentDigest(options.personId, challenge.id)) throw new Error('digest');
      }
      const credentialId = options.credentialId ?? (await onlyDevice(api, options.personId));
      const path = `/v1/challenges/${encodeURIComponent(challenge!.id)}/session`;
      view.status.textContent = 'Follow the prompts.';
      view.beginLive(modalities, PLOT_LABEL[modalities[0]!]);
      const plot = new LivePlot(view.plot, PLOT_LABEL[modalities[0]!], Math.min(360, container.clientWidth || 360));
      const revealed: RevealEvent[] = [];
      let t0 = 0;
      let raf = 0;
      const animate = (): void => {
        const t = performance.now() - t0;
        const g = breathingGuideFromReveals(revealed, t);
        if (g) view.breathe(g.volume, g.phase % 1 < 0.5);
        raf = requestAnimationFrame(animate);
      };
      const end: LiveSessionEnd = await runLiveSession({
        wsUrl: api.origin.replace(/^http/, 'ws') + path,
        identity: { challengeId: challenge!.id, person: options.personId, credentialId, digest: challenge!.digest, modalities },
        sources,
        signal: abort.signal,
        hooks: {
          onStart() {
            t0 = performance.now();
            if (modalities.includes('hrv')) raf = requestAnimationFrame(animate);
          },
          onReveal(e) {
            revealed.push(e);
            if (e.payload.type === 'gesture') view.prompt.textContent = GESTURE_TEXT[e.payload.gesture];
            else if (e.payload.type === 'word' && e.modality === 'voice') view.prompt.textContent = `Say: ${e.payload.word}`;
          },
          onTick(elapsed, duration) {
            view.progress(elapsed, duration);
            const v = sources[0]!.plotValue();
            if (v !== undefined) plot.add(elapsed / 1000, v);
          },
          onSigning() {
            cancelAnimationFrame(raf);
            view.prompt.textContent = '';
            view.status.textContent = 'Now confirm with your passkey.';
          },
        },
      });
      cancelAnimationFrame(raf);
      plot.destroy();
      if (end.outcome === 'accepted') {
        return finish({
          outcome: 'accepted',
          message: options.mode === 'sign' ? OUTCOME_MESSAGES.accepted : 'Calibration recorded.',
          challengeId: challenge!.id,
          ...(end.result?.actionStatus === undefined ? {} : { actionStatus: end.result.actionStatus }),
          ...(end.result?.logIndex === undefined ? {} : { logIndex: end.result.logIndex }),
        });
      }
      const detail = end.outcome === 'sensor' ? SENSOR_MESSAGES[end.sensor ?? 'failed'] : undefined;
      fail(end.outcome, detail, challenge!.id, end.result?.next?.challengeId);
    } catch {
      for (const s of sources) s.close();
      fail('unavailable', undefined, challenge?.id);
    }
  };

  return () => {
    abort.abort();
    view.root.remove();
  };
}

async function resolveChallenge(api: GatewayApi, o: SigningOptions): Promise<ChallengeView> {
  if (o.challengeId) return api.challenge(o.challengeId);
  if (!o.actionId) throw new GatewayError(400, 'NO_CHALLENGE');
  const open = (await api.openChallenges(o.personId)).find((c) => c.actionId === o.actionId && c.mode === 'biological');
  return open ?? api.requestChallenge(o.personId, o.actionId);
}

async function onlyDevice(api: GatewayApi, person: string): Promise<string> {
  const active = (await api.devices(person)).filter((d) => !d.revoked && !d.revokedAt);
  if (active.length !== 1) throw new GatewayError(409, 'CREDENTIAL_AMBIGUOUS');
  return active[0]!.id;
}
