/** Times as an auditor reads them: UTC, to the second, the same on every device. */
export function utc(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** A duration in words: 850 ms, 4.2 s, 3 min 20 s, 2 h 5 min. */
export function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
  const two = (big: number, bigUnit: string, small: number, smallUnit: string) => (small === 0 ? `${big} ${bigUnit}` : `${big} ${bigUnit} ${small} ${smallUnit}`);
  if (ms < 3600_000) return two(Math.floor(ms / 60_000), 'min', Math.round((ms % 60_000) / 1000), 's');
  if (ms < 86_400_000) return two(Math.floor(ms / 3600_000), 'h', Math.round((ms % 3600_000) / 60_000), 'min');
  return two(Math.floor(ms / 86_400_000), 'd', Math.round((ms % 86_400_000) / 3600_000), 'h');
}

/** The value a `<input type="datetime-local">` shows for a time, read as UTC. */
export function localInput(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16);
}

/** A `datetime-local` value read as UTC (the console works in UTC throughout); undefined when empty or invalid. */
export function fromLocalInput(v: string): number | undefined {
  if (v === '') return undefined;
  const t = Date.parse(`${v}:00Z`);
  return Number.isFinite(t) ? t : undefined;
}
