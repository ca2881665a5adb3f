import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

/**
 * A live plot of the person's own signal (the last 10 s), with uPlot. uPlot sizes and places its
 * elements through the CSSOM (element.style), which a Content-Security-Policy without
 * 'unsafe-inline' allows (CSP governs style attributes in markup and <style> elements, not CSSOM);
 * its stylesheet is a bundled file.
 */
const WINDOW_S = 10;

export class LivePlot {
  readonly #plot: uPlot;
  readonly #x: number[] = [];
  readonly #y: number[] = [];

  constructor(container: HTMLElement, label: string, width: number) {
    // The canvas takes no CSS: draw in the page's own text and brand colours (light or dark scheme).
    const css = getComputedStyle(container);
    const fg = css.color || '#1f2933';
    const line = css.getPropertyValue('--brand').trim() || '#0b5cad';
    this.#plot = new uPlot(
      {
        width,
        height: 120,
        legend: { show: false },
        cursor: { show: false },
        scales: { x: { time: false } },
        axes: [{ stroke: fg, size: 28 }, { stroke: fg, size: 44 }],
        series: [{}, { label, stroke: line, width: 2 }],
      },
      [[], []],
      container,
    );
  }

  add(tSeconds: number, value: number): void {
    this.#x.push(tSeconds);
    this.#y.push(value);
    while (this.#x.length && this.#x[0]! < tSeconds - WINDOW_S) {
      this.#x.shift();
      this.#y.shift();
    }
    this.#plot.setData([this.#x, this.#y]);
  }

  destroy(): void {
    this.#plot.destroy();
  }
}
