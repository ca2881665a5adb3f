/**
 * Verification report: one result per check (grouped by concern), with findings that name the entry
 * index / checkpoint position and the check that failed.
 */
import { isFirewallError } from '../../src/core/errors.ts';

export type CheckStatus = 'pass' | 'fail' | 'warn' | 'skip';

export interface Finding {
  check: string;
  severity: 'error' | 'warning';
  message: string;
  /** Log index of the entry concerned. */
  index?: number;
  /** Position in bundle.entries. */
  position?: number;
  /** Position in bundle.checkpoints. */
  checkpoint?: number;
}

export interface CheckResult {
  id: string;
  title: string;
  status: CheckStatus;
  errors: number;
  warnings: number;
  /** Why a check was skipped, or a one-line summary. */
  note?: string;
}

export interface VerificationReport {
  ok: boolean;
  format: string | null;
  origin: string | null;
  range: { start: number; end: number } | null;
  entryCount: number;
  latestCheckpoint: { size: number; rootHash: string } | null;
  checks: CheckResult[];
  findings: Finding[];
  /** Findings counted but not listed (per-check cap). */
  omittedFindings: number;
}

export type Where = { index?: number; position?: number; checkpoint?: number };

export class Reporter {
  readonly #checks = new Map<string, CheckResult>();
  readonly #findings: Finding[] = [];
  readonly #listed = new Map<string, number>();
  readonly #cap: number;
  #omitted = 0;
  meta: Omit<VerificationReport, 'ok' | 'checks' | 'findings' | 'omittedFindings'> = {
    format: null,
    origin: null,
    range: null,
    entryCount: 0,
    latestCheckpoint: null,
  };

  constructor(cap = 1000) {
    this.#cap = cap;
  }

  register(id: string, title: string): void {
    if (!this.#checks.has(id)) this.#checks.set(id, { id, title, status: 'pass', errors: 0, warnings: 0 });
  }

  #get(id: string): CheckResult {
    const c = this.#checks.get(id);
    if (!c) {
      const created: CheckResult = { id, title: id, status: 'pass', errors: 0, warnings: 0 };
      this.#checks.set(id, created);
      return created;
    }
    return c;
  }

  #record(id: string, severity: 'error' | 'warning', message: string, where?: Where): void {
    const n = this.#listed.get(id) ?? 0;
    if (n >= this.#cap) {
      this.#omitted++;
      return;
    }
    this.#listed.set(id, n + 1);
    this.#findings.push({ check: id, severity, message, ...where });
  }

  fail(id: string, message: string, where?: Where): void {
    const c = this.#get(id);
    c.errors++;
    c.status = 'fail';
    this.#record(id, 'error', message, where);
  }

  warn(id: string, message: string, where?: Where): void {
    const c = this.#get(id);
    c.warnings++;
    if (c.status === 'pass') c.status = 'warn';
    this.#record(id, 'warning', message, where);
  }

  skip(id: string, note: string): void {
    const c = this.#get(id);
    if (c.status === 'pass') {
      c.status = 'skip';
      c.note = note;
    }
  }

  note(id: string, note: string): void {
    this.#get(id).note = note;
  }

  failed(id: string): boolean {
    return this.#get(id).status === 'fail';
  }

  build(): VerificationReport {
    const checks = [...this.#checks.values()];
    return {
      ok: checks.every((c) => c.status !== 'fail'),
      ...this.meta,
      checks,
      findings: this.#findings,
      omittedFindings: this.#omitted,
    };
  }
}

/** Human-readable rendering. */
export function formatReport(r: VerificationReport): string {
  const lines: string[] = [];
  lines.push('Analog Firewall transparency log: offline verification');
  lines.push(`  origin       ${r.origin ?? '(unknown)'}`);
  if (r.range) lines.push(`  range        [${r.range.start}, ${r.range.end})  ${r.entryCount} entries in bundle`);
  if (r.latestCheckpoint) lines.push(`  checkpoint   size ${r.latestCheckpoint.size}, root ${r.latestCheckpoint.rootHash}`);
  lines.push('');
  const width = Math.max(...r.checks.map((c) => c.id.length), 10);
  for (const c of r.checks) {
    const tag = { pass: 'PASS', fail: 'FAIL', warn: 'WARN', skip: 'SKIP' }[c.status];
    const counts = c.errors ? ` (${c.errors} error${c.errors === 1 ? '' : 's'})` : c.warnings ? ` (${c.warnings} warning${c.warnings === 1 ? '' : 's'})` : '';
    lines.push(`  ${tag}  ${c.id.padEnd(width)}  ${c.title}${counts}${c.note ? ` — ${c.note}` : ''}`);
    for (const f of r.findings) {
      if (f.check === c.id) lines.push(`          ${f.severity === 'error' ? 'x' : '!'} ${f.message}`);
    }
  }
  if (r.omittedFindings > 0) lines.push(`  (${r.omittedFindings} further findings not listed)`);
  lines.push('');
  const failed = r.checks.filter((c) => c.status === 'fail');
  lines.push(r.ok ? 'RESULT: VERIFIED' : `RESULT: FAILED (${failed.map((c) => c.id).join(', ')})`);
  return `${lines.join('\n')}\n`;
}

/** A finding's text for a caught error: the firewall error's message, else the error's own. */
export function errMessage(e: unknown): string {
  return isFirewallError(e) ? e.message : e instanceof Error ? e.message : String(e);
}
