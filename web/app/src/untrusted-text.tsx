import type { ComponentChildren } from 'preact';

/**
 * Text an agent supplied (payee, target, operation, parameters, reasons quoting them) is shown
 * literally: as DOM text, never parsed as HTML (Preact sets textContent). Characters that change
 * how the rest reads without being seen are drawn as labelled badges instead of being applied:
 * bidirectional controls (an RLO can make "moc.evil" read "live.com"), zero-width and other
 * invisible format characters, controls, line separators and unusual spaces. Characters that look
 * like others (UTS #39 confusables, e.g. a Cyrillic "о" in a Latin word) are marked and named once
 * the confusables table is loaded (lazily, after the first screen).
 */

const NAMES: Record<number, string> = {
  0x061c: 'ALM', 0x200e: 'LRM', 0x200f: 'RLM', 0x202a: 'LRE', 0x202b: 'RLE', 0x202c: 'PDF', 0x202d: 'LRO', 0x202e: 'RLO',
  0x2066: 'LRI', 0x2067: 'RLI', 0x2068: 'FSI', 0x2069: 'PDI', 0x200b: 'ZWSP', 0x200c: 'ZWNJ', 0x200d: 'ZWJ', 0x2060: 'WJ',
  0xfeff: 'BOM', 0x00ad: 'SHY', 0x00a0: 'NBSP', 0x202f: 'NNBSP', 0x2028: 'LSEP', 0x2029: 'PSEP', 0x3000: 'IDSP',
};

const BIDI = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/u;
/** Invisible or layout-changing: controls, format characters, separators, fillers, variation selectors, unusual spaces. */
const HIDDEN = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\u00A0\u034F\u115F\u1160\u17B4\u17B5\u180B-\u180F\u2000-\u200A\u205F\u3000\u3164\uFE00-\uFE0F\uFFA0\u{E0100}-\u{E01EF}]/u;

/** At most this many characters are drawn; the rest is counted (an agent can send a megabyte). */
const MAX_SHOWN = 2000;

type Lookalike = (ch: string) => string | undefined;
let lookalike: Lookalike | undefined;
let loading: Promise<void> | undefined;

/** Loads the confusables table (a separate chunk, not part of what the inbox needs). */
export function loadConfusables(): Promise<void> {
  loading ??= import('./confusables.ts').then((m) => {
    lookalike = m.lookalikeOf;
  });
  return loading;
}

export function codeName(cp: number): string {
  return NAMES[cp] ?? `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
}

export interface Findings {
  hidden: number;
  bidi: number;
  confusable: number;
  truncated: number;
}

export function inspect(value: string, multiline = false): Findings {
  const f: Findings = { hidden: 0, bidi: 0, confusable: 0, truncated: 0 };
  let i = 0;
  for (const ch of value) {
    if (i++ >= MAX_SHOWN) {
      f.truncated++;
      continue;
    }
    if (BIDI.test(ch)) f.bidi++;
    else if (ch !== ' ' && !(multiline && (ch === '\n' || ch === '\t')) && HIDDEN.test(ch)) f.hidden++;
    else if (ch.charCodeAt(0) > 0x7f && lookalike?.(ch) !== undefined) f.confusable++;
  }
  return f;
}

/** One untrusted string, drawn safely; `warn` adds a sentence naming what was found; `multiline` lets line feeds and tabs through (formatted JSON). */
export function Untrusted({ value, warn = true, multiline = false }: { value: string; warn?: boolean; multiline?: boolean }) {
  const parts: ComponentChildren[] = [];
  let run = '';
  let i = 0;
  const flush = () => {
    if (run !== '') parts.push(run);
    run = '';
  };
  for (const ch of value) {
    if (i >= MAX_SHOWN) break;
    const cp = ch.codePointAt(0)!;
    if (BIDI.test(ch) || (ch !== ' ' && !(multiline && (ch === '\n' || ch === '\t')) && HIDDEN.test(ch))) {
      flush();
      parts.push(
        <span class={BIDI.test(ch) ? 'ctl bidi' : 'ctl'} key={i}>
          {`⟨${codeName(cp)}⟩`}
        </span>,
      );
    } else if (cp > 0x7f && lookalike?.(ch) !== undefined) {
      flush();
      parts.push(
        <mark class="confusable" key={i} title={`looks like “${lookalike(ch)!}” (${codeName(cp)})`}>
          {ch}
        </mark>,
      );
    } else run += ch;
    i++;
  }
  flush();
  const f = warn ? inspect(value, multiline) : undefined;
  const notes: string[] = [];
  if (f !== undefined) {
    if (f.bidi > 0) notes.push(`${f.bidi} text-direction control${f.bidi > 1 ? 's' : ''}`);
    if (f.hidden > 0) notes.push(`${f.hidden} invisible character${f.hidden > 1 ? 's' : ''}`);
    if (f.confusable > 0) notes.push(`${f.confusable} look-alike character${f.confusable > 1 ? 's' : ''}`);
  }
  return (
    <>
      <span class="untrusted">{parts}</span>
      {f !== undefined && f.truncated > 0 && <span class="more">{` … and ${f.truncated.toLocaleString('en')} more characters not shown`}</span>}
      {notes.length > 0 && (
        <span class="warning" role="note">
          {`Careful: contains ${notes.join(', ')} (shown marked). The agent wrote this text.`}
        </span>
      )}
    </>
  );
}
