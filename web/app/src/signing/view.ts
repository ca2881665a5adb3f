import type { Modality } from '../../../../src/core/policy/modality.ts';
import { MODALITY_NAMES, unsupportedReason } from './guide.ts';

/**
 * The signing screen's DOM. Built with createElement and textContent only (agent-supplied text is
 * never parsed as HTML); dynamic values go through the CSSOM (custom properties), never a style
 * attribute, so the page runs under a CSP without 'unsafe-inline'.
 */

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

const SVG = 'http://www.w3.org/2000/svg';
const RING_R = 52;
const RING_C = 2 * Math.PI * RING_R;

let uid = 0;

export class SigningView {
  readonly root: HTMLElement;
  readonly heading: HTMLHeadingElement;
  readonly summary: HTMLElement;
  readonly choices: HTMLFieldSetElement;
  readonly start: HTMLButtonElement;
  /** What the challenge's roles ask (plan.ts), shown with the choice. */
  readonly needs: HTMLElement;
  /** During the session: what to do with each way of signing at once (several modalities). */
  readonly how: HTMLElement;
  readonly live: HTMLElement;
  readonly ring: HTMLElement;
  readonly ringArc: SVGCircleElement;
  readonly ringText: HTMLElement;
  readonly prompt: HTMLElement;
  readonly breath: HTMLElement;
  readonly breathText: HTMLElement;
  readonly typingLabel: HTMLLabelElement;
  readonly typing: HTMLInputElement;
  readonly words: HTMLElement;
  readonly plot: HTMLElement;
  readonly plotCaption: HTMLElement;
  readonly status: HTMLElement;
  readonly alert: HTMLElement;
  readonly #boxes = new Map<Modality, HTMLInputElement>();
  readonly #mode: 'sign' | 'calibrate';

  constructor(container: HTMLElement, mode: 'sign' | 'calibrate') {
    const id = `af-sign-${++uid}`;
    this.root = el('section', { class: 'af-signing', 'aria-labelledby': `${id}-h` });
    this.heading = el('h2', { id: `${id}-h` }, mode === 'sign' ? 'Sign this request' : 'Calibration session');
    this.summary = el('div', { class: 'af-summary' });
    this.choices = el('fieldset', { class: 'af-choices' });
    this.choices.append(el('legend', {}, mode === 'sign' ? 'How will you sign?' : 'What will you calibrate?'));
    this.needs = el('p', { class: 'af-needs', id: `${id}-needs`, hidden: '' });
    this.choices.append(this.needs);
    // Shown once the challenge is loaded and checked (showChoices).
    this.start = el('button', { type: 'button', class: 'af-start', hidden: '' }, mode === 'sign' ? 'Start signing' : 'Start calibration');
    this.#mode = mode;
    this.choices.hidden = true;

    this.live = el('div', { class: 'af-live', hidden: '', tabindex: '-1', 'aria-label': 'Signing in progress' });
    this.ring = el('div', { class: 'af-ring', role: 'progressbar', 'aria-label': 'Time signed', 'aria-valuemin': '0', 'aria-valuemax': '100', 'aria-valuenow': '0' });
    const svg = document.createElementNS(SVG, 'svg');
    svg.setAttribute('viewBox', '0 0 120 120');
    svg.setAttribute('aria-hidden', 'true');
    const track = document.createElementNS(SVG, 'circle');
    const arc = document.createElementNS(SVG, 'circle');
    for (const [c, cls] of [[track, 'af-ring-track'], [arc, 'af-ring-arc']] as const) {
      c.setAttribute('cx', '60');
      c.setAttribute('cy', '60');
      c.setAttribute('r', String(RING_R));
      c.setAttribute('class', cls);
      svg.append(c);
    }
    arc.setAttribute('stroke-dasharray', String(RING_C));
    arc.setAttribute('stroke-dashoffset', String(RING_C));
    this.ringArc = arc;
    this.ringText = el('span', { class: 'af-ring-text', 'aria-hidden': 'true' }, '0 s');
    this.ring.append(svg, this.ringText);
    this.how = el('p', { class: 'af-how', hidden: '' });
    this.prompt = el('p', { class: 'af-prompt', 'aria-live': 'assertive' });
    this.breath = el('div', { class: 'af-breath', hidden: '' });
    const circle = el('div', { class: 'af-breath-circle', 'aria-hidden': 'true' });
    const bar = el('div', { class: 'af-breath-bar', 'aria-hidden': 'true' });
    bar.append(el('div', { class: 'af-breath-fill' }));
    this.breathText = el('p', { class: 'af-breath-text' });
    this.breath.append(circle, bar, this.breathText);
    this.words = el('p', { class: 'af-words', hidden: '' });
    this.typingLabel = el('label', { for: `${id}-typing`, hidden: '' }, 'Type the words as they appear, separated by spaces');
    this.typing = el('input', { id: `${id}-typing`, type: 'text', autocomplete: 'off', autocapitalize: 'off', autocorrect: 'off', spellcheck: 'false', inputmode: 'text', hidden: '' });
    this.plot = el('div', { class: 'af-plot', 'aria-hidden': 'true' });
    this.plotCaption = el('p', { class: 'af-plot-caption' });
    this.live.append(this.ring, this.how, this.prompt, this.breath, this.words, this.typingLabel, this.typing, this.plot, this.plotCaption);

    this.status = el('p', { class: 'af-status', role: 'status' });
    this.alert = el('div', { class: 'af-alert', role: 'alert', tabindex: '-1' });
    this.root.append(this.heading, this.summary, this.choices, this.start, this.live, this.status, this.alert);
    container.append(this.root);
  }

  showSummary(text: string, fingerprint: string | undefined): void {
    this.summary.replaceChildren(el('p', { class: 'af-summary-text' }, text));
    if (fingerprint) this.summary.append(el('p', { class: 'af-fingerprint' }, `Fingerprint: ${fingerprint}`));
  }

  /** One checkbox per modality; unusable ones disabled with the reason next to them. */
  showChoices(offered: Modality[], preselected: Modality[], durationMs: number, needs?: string, unmet?: string): void {
    if (needs !== undefined) {
      this.needs.textContent = needs;
      this.needs.hidden = false;
      this.choices.setAttribute('aria-describedby', this.needs.id);
    }
    this.start.textContent = `${this.#mode === 'sign' ? 'Start signing' : 'Start calibration'} (about ${Math.round(durationMs / 1000)} seconds)`;
    for (const m of offered) {
      const reason = unsupportedReason(m);
      const id = `${this.root.getAttribute('aria-labelledby')}-${m}`;
      const box = el('input', { type: 'checkbox', id, name: 'modality', value: m });
      box.checked = reason === undefined && preselected.includes(m);
      box.disabled = reason !== undefined;
      const label = el('label', { for: id }, MODALITY_NAMES[m]);
      const row = el('div', { class: 'af-choice' });
      row.append(box, label);
      if (reason) {
        const note = el('span', { class: 'af-note', id: `${id}-why` }, reason);
        box.setAttribute('aria-describedby', note.id);
        row.append(note);
      }
      this.choices.append(row);
      this.#boxes.set(m, box);
    }
    this.choices.hidden = false;
    this.start.hidden = false;
    if (unmet !== undefined) {
      // Nothing this browser can tick would be accepted: no session to start (the request waits).
      this.start.disabled = true;
      this.alert.replaceChildren(el('p', {}, unmet));
    }
  }

  chosen(): Modality[] {
    return [...this.#boxes].filter(([, b]) => b.checked && !b.disabled).map(([m]) => m);
  }

  /** A message that ends nothing (a sensor refused before the session): the choice stays open. */
  notice(message: string): void {
    const p = el('p', {}, message);
    this.alert.replaceChildren(p);
    this.status.textContent = '';
    this.start.disabled = false;
    if (document.activeElement === document.body) this.alert.focus();
  }

  beginLive(modalities: Modality[], plotLabel: string): void {
    // The screen is the session's now: the ring and the prompts come first on a phone.
    this.choices.hidden = true;
    this.start.hidden = true;
    this.live.hidden = false;
    this.breath.hidden = !modalities.includes('hrv');
    const typing = modalities.includes('typing');
    const voice = modalities.includes('voice');
    this.words.hidden = !(typing || voice);
    // Several ways at once: say so before the first prompt arrives.
    const doing = [
      ...(modalities.includes('motion') ? ['follow the movement prompts'] : []),
      ...(typing ? ['type the words as they appear'] : []),
      ...(voice ? ['say the words as they appear'] : []),
      ...(modalities.includes('hrv') ? ['breathe with the guide'] : []),
    ];
    this.how.hidden = doing.length < 2;
    this.how.textContent = doing.length < 2 ? '' : `At the same time: ${doing.slice(0, -1).join(', ')} and ${doing.at(-1)}.`;
    this.typing.hidden = !typing;
    this.typingLabel.hidden = !typing;
    // The start button just went away: keyboard focus goes where the session is (the typing field if there is one).
    (typing ? this.typing : this.live).focus();
    this.plotCaption.textContent = `Your own signal, last 10 seconds: ${plotLabel}.`;
  }

  progress(elapsedMs: number, durationMs: number): void {
    const f = durationMs > 0 ? Math.min(1, elapsedMs / durationMs) : 0;
    this.ringArc.setAttribute('stroke-dashoffset', String(RING_C * (1 - f)));
    this.ring.setAttribute('aria-valuenow', String(Math.round(f * 100)));
    this.ringText.textContent = `${Math.floor(elapsedMs / 1000)} s`;
  }

  /** Breathing guide: lung volume 0..1 as a custom property (CSSOM), text for everyone. */
  breathe(volume: number, inhaling: boolean): void {
    this.breath.style.setProperty('--af-breath', volume.toFixed(3));
    const text = inhaling ? 'Breathe in' : 'Breathe out';
    if (this.breathText.textContent !== text) this.breathText.textContent = text;
  }

  /** The session is over: its message replaces the live screen. */
  showOutcome(message: string): void {
    const hadFocus = this.live.contains(document.activeElement) || document.activeElement === this.start;
    this.endLive();
    this.status.textContent = '';
    this.alert.replaceChildren(el('p', {}, message));
    // Focus follows to the outcome (read out by its role too), with what comes next after it.
    if (hadFocus || document.activeElement === document.body) this.alert.focus();
  }

  endLive(): void {
    this.live.hidden = true;
    this.typing.disabled = true;
  }
}
