/**
 * Stand-in for the live signing module (src/signing/index.ts, docs/approver-app.md §Signing
 * module) while it is not part of the build. It says so plainly and lets the person go back;
 * nothing is signed.
 */
export function mountSigning(container: HTMLElement, opts: { challengeId: string; actionId?: string; purpose?: string; onDone?: (r: { accepted: boolean }) => void }): () => void {
  const box = document.createElement('div');
  box.className = 'placeholder';
  const h = document.createElement('h2');
  h.textContent = 'Live signing is not available in this build';
  const p = document.createElement('p');
  p.textContent = 'This version of the app cannot capture live signals yet. Nothing was signed; the request stays open until it expires.';
  const b = document.createElement('button');
  b.type = 'button';
  b.className = 'secondary';
  b.textContent = 'Continue';
  b.addEventListener('click', () => opts.onDone?.({ accepted: false }));
  box.append(h, p, b);
  container.append(box);
  return () => box.remove();
}
