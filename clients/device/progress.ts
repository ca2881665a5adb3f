/** A one-line progress bar over the sustained window: `[########......] 12.3 / 20.0 s  4 prompts`. */
export function progressLine(elapsedMs: number, durationMs: number, revealed: number, width = 30): string {
  const f = durationMs > 0 ? Math.min(1, Math.max(0, elapsedMs / durationMs)) : 0;
  const full = Math.round(f * width);
  return `[${'#'.repeat(full)}${'.'.repeat(width - full)}] ${(elapsedMs / 1000).toFixed(1)} / ${(durationMs / 1000).toFixed(1)} s  ${revealed} stimulus element${revealed === 1 ? '' : 's'}`;
}

/** Writes the bar in place on a terminal; elsewhere, one line every `everyMs`. */
export function progressWriter(out: NodeJS.WriteStream = process.stderr, everyMs = 5000): (elapsedMs: number, durationMs: number, revealed: number) => void {
  let last = -Infinity;
  return (e, d, r) => {
    if (out.isTTY) out.write(`\r${progressLine(e, d, r)}`);
    else if (e - last >= everyMs || e >= d) {
      last = e;
      out.write(progressLine(e, d, r) + '\n');
    }
  };
}
