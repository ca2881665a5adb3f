import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

/** Colours of the page's scheme (light or dark), read when a chart is drawn so axes and series keep their contrast. */
export function palette(): { fg: string; muted: string; grid: string; low: string; medium: string; high: string; critical: string; brand: string; danger: string } {
  const css = getComputedStyle(document.documentElement);
  const v = (name: string, dflt: string) => css.getPropertyValue(name).trim() || dflt;
  return {
    fg: v('--fg', '#1a1a1a'),
    muted: v('--muted', '#4a4a4a'),
    grid: v('--line', '#8a8a8a'),
    low: v('--ok', '#0f5b2a'),
    medium: v('--medium', '#2f4a7a'),
    high: v('--high', '#8a3a00'),
    critical: v('--critical', '#7a0f3a'),
    brand: v('--brand', '#0b3d2e'),
    danger: v('--danger', '#a4161a'),
  };
}

export function axes(p: ReturnType<typeof palette>, x: Partial<uPlot.Axis> = {}, y: Partial<uPlot.Axis> = {}): uPlot.Axis[] {
  const grid = { stroke: p.grid, width: 0.5 };
  return [
    { stroke: p.fg, grid, ticks: grid, ...x },
    { stroke: p.fg, grid, ticks: grid, size: 48, ...y },
  ];
}

/**
 * A uPlot chart sized to its container (uPlot sets sizes through the CSSOM, which the CSP allows;
 * its stylesheet is bundled). The canvas is a picture: each figure gives its data as text too.
 */
export function UPlotChart({ options, data, label }: { options: (width: number) => uPlot.Options; data: uPlot.AlignedData; label: string }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current!;
    const width = () => Math.max(280, Math.floor(el.clientWidth));
    const plot = new uPlot(options(width()), data, el);
    const ro = new ResizeObserver(() => plot.setSize({ width: width(), height: plot.height }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      plot.destroy();
    };
  }, [data]);
  return <div class="chart" ref={box} role="img" aria-label={label} />;
}
