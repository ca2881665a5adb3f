import { useEffect, useState } from 'preact/hooks';
import { CoolingDepth, LatencyDistribution, RefusalsByReason, SignaturesByModality, TiersOverTime, type Statistics } from '../charts/figures.tsx';
import { consoleApi, query } from '../console-api.ts';
import { utc } from '../format.ts';
import { ErrorText } from '../parts.tsx';
import { sessionLost } from '../session.ts';
import { failure } from '../verifier.ts';

const RANGES: [string, number][] = [
  ['Last hour', 3600_000],
  ['Last 24 hours', 24 * 3600_000],
  ['Last 7 days', 7 * 24 * 3600_000],
  ['Last 30 days', 30 * 24 * 3600_000],
];

/** The log in pictures, computed by the gateway from the entries themselves (each read is logged). */
export function ChartsScreen() {
  const [range, setRange] = useState(RANGES[1]![1]);
  const [stats, setStats] = useState<Statistics | undefined>();
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    setStats(undefined);
    setError(undefined);
    const until = Date.now() + 1000;
    consoleApi<Statistics>('GET', `/statistics${query({ since: until - range, until, buckets: 48 })}`).then(setStats, (e: unknown) => {
      if (!sessionLost(e)) setError(failure(e).message);
    });
  }, [range]);
  return (
    <section aria-labelledby="h-charts">
      <h1 id="h-charts" tabIndex={-1}>
        The log in pictures
      </h1>
      <fieldset class="ranges">
        <legend>Period</legend>
        {RANGES.map(([label, ms]) => (
          <label class="check" key={ms}>
            <input type="radio" name="range" checked={range === ms} onChange={() => setRange(ms)} />
            <span>{label}</span>
          </label>
        ))}
      </fieldset>
      <ErrorText error={error} />
      {stats === undefined && error === undefined && <p class="status">Reading the log…</p>}
      {stats !== undefined && (
        <>
          <p class="hint">{`${utc(stats.since)} to ${utc(stats.until)}; ${stats.scanned.toLocaleString('en')} log entries read.`}</p>
          <div class="figures">
            <TiersOverTime s={stats} />
            <LatencyDistribution s={stats} />
            <RefusalsByReason s={stats} />
            <CoolingDepth s={stats} />
            <SignaturesByModality s={stats} />
          </div>
        </>
      )}
    </section>
  );
}
