import uPlot from 'uplot';
import { Untrusted } from '../../untrusted-text.tsx';
import { duration, utc } from '../format.ts';
import { axes, palette, UPlotChart } from './uplot-chart.tsx';

/** What GET /app/api/regulator/statistics answers (src/gateway/regulator-console/console-statistics.ts). */
export interface Statistics {
  since: number;
  until: number;
  bucketMs: number;
  buckets: number[];
  actionsPerTier: Record<'LOW' | 'MEDIUM' | 'HIGH' | 'CRITICAL', number[]>;
  approvalLatencyMs: Record<'MEDIUM' | 'HIGH' | 'CRITICAL', number[]>;
  latencyCap: number;
  refusals: { kind: 'vetoed' | 'blocked' | 'expired' | 'signature_refused'; reason: string; count: number }[];
  coolingDepth: { end: number[]; max: number[] };
  signatures: { modalities: Record<string, number>; witness: number; nonBiological: number; refused: number };
  scanned: number;
}

const TIERS = ['LOW', 'MEDIUM', 'HIGH', 'CRITICAL'] as const;
const tierColour = (p: ReturnType<typeof palette>, t: string) => (t === 'LOW' ? p.low : t === 'MEDIUM' ? p.medium : t === 'HIGH' ? p.high : p.critical);
const seconds = (ms: number[]) => ms.map((t) => t / 1000);
const bucketLabel = (s: Statistics, i: number) => utc(s.buckets[i]!).slice(0, 16);

/** A stepped series: counts hold from the start of their period to the next. */
const step = (label: string, stroke: string, extra: Partial<uPlot.Series> = {}): uPlot.Series => ({ label, stroke, width: 2, paths: uPlot.paths.stepped!({ align: 1 }), points: { show: false }, ...extra });

/** Time ticks in UTC, as everything in the console: the hour, and the date at midnight. */
const utcTicks = (_u: uPlot, splits: number[]) =>
  splits.map((t) => {
    const iso = new Date(t * 1000).toISOString();
    return iso.slice(11, 16) === '00:00' ? iso.slice(5, 10) : iso.slice(11, 16);
  });

const fromZero: uPlot.Scale = { range: (_u, _min, max) => [0, Math.max(1, max)] };

/** Every chart: no uPlot legend (each figure has its own, in the page), no zooming. */
function chart(width: number, height: number, o: Pick<uPlot.Options, 'scales' | 'axes' | 'series'> & Partial<uPlot.Options>): uPlot.Options {
  return { width, height, legend: { show: false }, cursor: { drag: { x: false, y: false } }, ...o };
}

/** Counts over time (x: seconds), from zero, with the page's colours. */
function overTime(width: number, height: number, series: (p: ReturnType<typeof palette>) => uPlot.Series[]): uPlot.Options {
  const p = palette();
  return chart(width, height, { scales: { x: { time: true }, y: fromZero }, axes: axes(p, { values: utcTicks }), series: [{}, ...series(p)] });
}

/** Per-period series as steps: the last period is drawn to the end of the range too. */
function periods(s: Statistics, ...ys: number[][]): uPlot.AlignedData {
  return [[...seconds(s.buckets), s.until / 1000], ...ys.map((y) => [...y, y[y.length - 1] ?? 0])];
}

/** The empirical distribution of waiting times (s): each distinct time and the share authorised within it, as steps from 0 to 1. */
function ecdf(ms: number[], right: number): uPlot.AlignedData {
  const xs: number[] = [];
  const ys: number[] = [];
  ms.forEach((v, i) => {
    const x = Math.max(0.01, v / 1000);
    if (xs.length === 0) {
      xs.push(x * 0.98);
      ys.push(0);
    }
    if (xs[xs.length - 1] === x) ys[ys.length - 1] = (i + 1) / ms.length;
    else {
      xs.push(x);
      ys.push((i + 1) / ms.length);
    }
  });
  if (xs.length > 0 && xs[xs.length - 1]! < right) {
    xs.push(right);
    ys.push(1);
  }
  return [xs, ys];
}

const isDecade = (x: number) => x > 0 && Math.abs(Math.log10(x) - Math.round(Math.log10(x))) < 1e-9;

function DataTable({ caption, head, rows }: { caption: string; head: string[]; rows: (string | number)[][] }) {
  return (
    <details class="data">
      <summary>{`${caption}: the numbers`}</summary>
      <div class="table-scroll">
        <table>
          <caption class="visually-hidden">{caption}</caption>
          <thead>
            <tr>
              {head.map((h) => (
                <th scope="col" key={h}>
                  {h}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map((r, i) => (
              <tr key={i}>
                {r.map((c, j) => (j === 0 ? <th scope="row" key={j}>{c}</th> : <td key={j}>{c}</td>))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </details>
  );
}

function Legend({ items }: { items: [string, string][] }) {
  return (
    <ul class="legend">
      {items.map(([label, cls]) => (
        <li key={label}>
          <span class={`swatch ${cls}`} aria-hidden="true" />
          {label}
        </li>
      ))}
    </ul>
  );
}

export function TiersOverTime({ s }: { s: Statistics }) {
  const data = periods(s, ...TIERS.map((t) => s.actionsPerTier[t]));
  const total = TIERS.map((t) => s.actionsPerTier[t].reduce((a, b) => a + b, 0));
  return (
    <figure>
      <figcaption>
        <h2>Actions per tier over time</h2>
        <p class="hint">{`Per ${duration(s.bucketMs)}: ${TIERS.map((t, i) => `${t} ${total[i]}`).join(', ')}`}</p>
      </figcaption>
      <Legend items={TIERS.map((t) => [t, `tier-${t.toLowerCase()}`])} />
      <UPlotChart
        label={`Actions per tier: ${TIERS.map((t, i) => `${total[i]} ${t}`).join(', ')}`}
        data={data}
        options={(width) => overTime(width, 220, (p) => TIERS.map((t) => step(t, tierColour(p, t))))}
      />
      <DataTable caption="Actions per tier" head={['From (UTC)', ...TIERS]} rows={s.buckets.map((_, i) => [bucketLabel(s, i), ...TIERS.map((t) => s.actionsPerTier[t][i]!)])} />
    </figure>
  );
}

const quantile = (sorted: number[], q: number) => (sorted.length === 0 ? undefined : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]);

export function LatencyDistribution({ s }: { s: Statistics }) {
  const tiers = ['MEDIUM', 'HIGH', 'CRITICAL'] as const;
  // Empirical distribution (ECDF): for each waiting time, the share of actions approved within it.
  const longest = Math.max(0.01, ...tiers.map((t) => (s.approvalLatencyMs[t].at(-1) ?? 0) / 1000)) * 2;
  const joined = uPlot.join(tiers.filter((t) => s.approvalLatencyMs[t].length > 0).map((t) => ecdf(s.approvalLatencyMs[t], longest)));
  const present = tiers.filter((t) => s.approvalLatencyMs[t].length > 0);
  return (
    <figure>
      <figcaption>
        <h2>How long approval took, by tier</h2>
        <p class="hint">
          The whole distribution, not a mean: for each waiting time (log scale), the share of actions authorised within it. MEDIUM waits for
          its cooling period; HIGH for a person's live signature; CRITICAL for the quorum and the comparator.
        </p>
      </figcaption>
      {present.length === 0 ? (
        <p>No action was authorised after waiting for people in this period.</p>
      ) : (
        <>
          <Legend items={present.map((t) => [t, `tier-${t.toLowerCase()}`])} />
          <UPlotChart
            label={`Approval time distributions for ${present.join(', ')}`}
            data={joined}
            options={(width) => {
              const p = palette();
              return chart(width, 220, {
                scales: { x: { time: false, distr: 3 }, y: { range: [0, 1] } },
                axes: axes(p, { values: (_u, v) => v.map((x) => (isDecade(x) ? duration(x * 1000) : '')) }, { values: (_u, v) => v.map((x) => `${Math.round(x * 100)}%`) }),
                series: [{}, ...present.map((t) => step(t, tierColour(p, t), { spanGaps: true }))],
              });
            }}
          />
        </>
      )}
      <DataTable
        caption="Approval time by tier"
        head={['Tier', 'Authorised', 'Median', '90th percentile', 'Longest']}
        rows={tiers.map((t) => {
          const l = s.approvalLatencyMs[t];
          const f = (v: number | undefined) => (v === undefined ? '—' : duration(v));
          return [t, l.length, f(quantile(l, 0.5)), f(quantile(l, 0.9)), f(l[l.length - 1])];
        })}
      />
    </figure>
  );
}

const KIND: Record<Statistics['refusals'][number]['kind'], string> = { vetoed: 'Vetoed', blocked: 'Blocked by rule', expired: 'Expired', signature_refused: 'Signature refused' };

/**
 * Vetoes and refusals by reason. A veto's reason is what a person typed, so the labels are drawn
 * as untrusted DOM text (never onto a canvas), each bar an SVG rectangle beside it.
 */
export function RefusalsByReason({ s }: { s: Statistics }) {
  const max = Math.max(1, ...s.refusals.map((r) => r.count));
  return (
    <figure>
      <figcaption>
        <h2>Vetoes and refusals by reason</h2>
        <p class="hint">Vetoes by the reason the person gave; blocks by the policy rule; expiries by what was awaited; refused signatures by code.</p>
      </figcaption>
      {s.refusals.length === 0 ? (
        <p>Nothing was vetoed, blocked, expired or refused in this period.</p>
      ) : (
        <ul class="hbars">
          {s.refusals.map((r, i) => (
            <li key={i} class={`kind-${r.kind}`}>
              <span class="hbar-label">
                <span class="label">{`${KIND[r.kind]}: `}</span>
                <Untrusted value={r.reason} />
              </span>
              <svg class="hbar" viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true">
                <rect x="0" y="0" height="10" width={(100 * r.count) / max} />
              </svg>
              <span class="hbar-count">{r.count}</span>
            </li>
          ))}
        </ul>
      )}
    </figure>
  );
}

export function CoolingDepth({ s }: { s: Statistics }) {
  const peak = Math.max(0, ...s.coolingDepth.max);
  return (
    <figure>
      <figcaption>
        <h2>Cooling queue depth</h2>
        <p class="hint">{`MEDIUM actions waiting out their cooling period (any person may veto them). Most at once: ${peak}.`}</p>
      </figcaption>
      <Legend items={[['most at any moment', 'swatch-max'], ['at the end of each period', 'swatch-end']]} />
      <UPlotChart
        label={`Cooling queue depth, at most ${peak} at once`}
        data={periods(s, s.coolingDepth.max, s.coolingDepth.end)}
        options={(width) => overTime(width, 200, (p) => [step('most at any moment', p.medium), step('at the end', p.muted, { width: 1.5, dash: [6, 4] })])}
      />
      <DataTable caption="Cooling queue depth" head={['From (UTC)', 'Most at once', 'At the end']} rows={s.buckets.map((_, i) => [bucketLabel(s, i), s.coolingDepth.max[i]!, s.coolingDepth.end[i]!])} />
    </figure>
  );
}

export function SignaturesByModality({ s }: { s: Statistics }) {
  const names = Object.keys(s.signatures.modalities).sort();
  const cats: [string, number][] = [...names.map((n): [string, number] => [n, s.signatures.modalities[n]!]), ['witness (fallback)', s.signatures.witness], ['passkey only', s.signatures.nonBiological]];
  const xs = cats.map((_, i) => i);
  return (
    <figure>
      <figcaption>
        <h2>Signatures per modality, and the fallback</h2>
        <p class="hint">
          {`Verified signatures by the live signal they used; “witness” is the institutional fallback for a person who cannot produce one; “passkey only” a comparator's non-biological confirmation. Refused: ${s.signatures.refused}.`}
        </p>
      </figcaption>
      <UPlotChart
        label={cats.map(([n, c]) => `${n}: ${c}`).join(', ')}
        data={[xs, cats.map(([, c]) => c)]}
        options={(width) => {
          const p = palette();
          return chart(width, 220, {
            cursor: { show: false },
            scales: { x: { time: false, range: [-0.6, cats.length - 0.4] }, y: fromZero },
            axes: axes(p, { splits: () => xs, values: (_u, v) => v.map((i) => cats[i]?.[0] ?? ''), rotate: cats.length > 4 ? -30 : 0, size: cats.length > 4 ? 70 : 40 }),
            series: [{}, { label: 'signatures', fill: p.brand, stroke: p.brand, paths: uPlot.paths.bars!({ size: [0.6, 80] }), points: { show: false } }],
          });
        }}
      />
      <DataTable caption="Signatures per modality" head={['Modality', 'Signatures']} rows={cats.map(([n, c]) => [n, c])} />
    </figure>
  );
}
