// unicode-confusables: UTS #39 confusables.txt as a lookup (CommonJS; bundled as its own chunk).
import { confusables } from 'unicode-confusables';

/** What an unusual character looks like, when UTS #39 lists it as confusable with something else. */
export function lookalikeOf(ch: string): string | undefined {
  const r = confusables(ch)[0];
  return r !== undefined && r.similarTo !== undefined && r.similarTo !== ch && r.similarTo !== '' ? r.similarTo : undefined;
}
