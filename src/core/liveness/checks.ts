import type { Check, FeatureValue, ModalityResult, StimulusResponse } from './types.ts';

/** Collects checks for one modality and turns them into a ModalityResult. */
export class CheckList {
  readonly checks: Check[] = [];
  readonly #prefix: string;

  constructor(prefix: string) {
    this.#prefix = prefix;
  }

  /** `margin`: soft checks only (margins.ts); a check without one is hard. */
  add(id: string, passed: boolean, message: string, margin?: number): boolean {
    this.checks.push(margin === undefined ? { id: `${this.#prefix}.${id}`, passed, message } : { id: `${this.#prefix}.${id}`, passed, message, margin });
    return passed;
  }

  get allPassed(): boolean {
    return this.checks.every((c) => c.passed);
  }

  /**
   * `quality` in [0, 1] says how strongly the response tracked this challenge. An accepted modality
   * scores 0.5..1 by quality; a rejected one scores below 0.5, lower the more checks failed.
   */
  result(features: Record<string, FeatureValue>, quality: number, responses: StimulusResponse[] = []): ModalityResult {
    const q = Math.max(0, Math.min(1, Number.isFinite(quality) ? quality : 0));
    const accepted = this.checks.length > 0 && this.allPassed;
    const passedShare = this.checks.length ? this.checks.filter((c) => c.passed).length / this.checks.length : 0;
    const score = accepted ? 0.5 + 0.5 * q : 0.49 * q * passedShare;
    return {
      accepted,
      score: Math.round(score * 1000) / 1000,
      reasons: this.checks.filter((c) => !c.passed).map((c) => c.message),
      features,
      checks: this.checks,
      responses,
    };
  }
}

export function fmtS(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** Failed result for a stream that cannot be analysed at all. */
export function unusable(prefix: string, message: string): ModalityResult {
  const c = new CheckList(prefix);
  c.add('format', false, message);
  return c.result({}, 0);
}
