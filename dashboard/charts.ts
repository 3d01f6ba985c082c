// The two time-series charts (throughput, latency percentiles), with Chart.js bundled from npm and only
// the parts used registered. Each canvas carries data-points (non-empty points) for tests and a11y.
import {
  CategoryScale,
  Chart,
  type ChartDataset,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from 'chart.js';
import type { StatsDoc } from '../core/stats/doc.js';
import { fmtMs, fmtRate, fmtTick } from './format.js';

Chart.register(
  LineController,
  LineElement,
  PointElement,
  LinearScale,
  CategoryScale,
  Filler,
  Legend,
  Tooltip,
);

const INK = '#c9d4e3';
const GRID = 'rgba(201, 212, 227, 0.10)';
Chart.defaults.color = INK;
Chart.defaults.font.family = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
Chart.defaults.animation = false;

type XY = { x: number; y: number | null };

function timeAxis(withSeconds: boolean) {
  return {
    type: 'linear' as const,
    grid: { color: GRID },
    ticks: {
      maxTicksLimit: 8,
      includeBounds: false,
      maxRotation: 0,
      callback: (v: string | number) => fmtTick(Number(v), withSeconds),
    },
  };
}

function baseOptions(withSeconds: boolean) {
  return {
    responsive: true,
    maintainAspectRatio: false,
    interaction: { mode: 'index' as const, intersect: false },
    plugins: {
      legend: { labels: { boxWidth: 12, boxHeight: 12 } },
      tooltip: {
        callbacks: {
          title: (items: { parsed: { x: number | null } }[]) => fmtTick(items[0]?.parsed.x ?? 0, true),
        },
      },
    },
    scales: { x: timeAxis(withSeconds) },
  };
}

const TICK_STEPS_S = [10, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14_400, 21_600];

/** Round tick spacing giving at most `maxTicks` ticks over `spanMs`. */
export function tickStepMs(spanMs: number, maxTicks: number): number {
  const step = TICK_STEPS_S.map((s) => s * 1000).find((s) => spanMs / s <= maxTicks);
  return step ?? TICK_STEPS_S[TICK_STEPS_S.length - 1] * 1000;
}

/**
 * The x axis spans the whole window (not just the points) with ticks on round clock times, built here
 * rather than by Chart.js so a narrow (phone) chart never repeats a label.
 */
function fitTimeAxis(chart: Chart<'line', XY[]>, doc: StatsDoc, firstT?: number): void {
  const x = chart.options.scales?.x as {
    min?: number;
    max?: number;
    afterBuildTicks?: (axis: { ticks: { value: number }[] }) => void;
    ticks: { callback: (v: string | number) => string };
  };
  const min = Math.min(doc.window.from, firstT ?? doc.window.from);
  const max = Date.parse(doc.generated_at);
  const step = tickStepMs(max - min, Math.max(2, Math.floor((chart.width || 600) / 90)));
  x.min = min;
  x.max = max;
  x.afterBuildTicks = (axis) => {
    const ticks: { value: number }[] = [];
    for (let t = Math.ceil(min / step) * step; t <= max; t += step) ticks.push({ value: t });
    axis.ticks = ticks;
  };
  const secs = step < 60_000;
  x.ticks.callback = (v) => fmtTick(Number(v), secs);
}

export class ThroughputChart {
  private readonly chart: Chart<'line', XY[]>;
  constructor(private readonly canvas: HTMLCanvasElement) {
    const events: ChartDataset<'line', XY[]> = {
      label: 'events/s',
      data: [],
      borderColor: '#4aa3ff',
      backgroundColor: 'rgba(74, 163, 255, 0.18)',
      fill: true,
      pointRadius: 0,
      borderWidth: 1.5,
      yAxisID: 'y',
    };
    const anomalies: ChartDataset<'line', XY[]> = {
      label: 'anomalies/s',
      data: [],
      borderColor: '#ff5c7a',
      backgroundColor: '#ff5c7a',
      pointRadius: (ctx) => ((ctx.raw as XY | undefined)?.y ? 3 : 0),
      borderWidth: 1.5,
      yAxisID: 'y2',
    };
    this.chart = new Chart<'line', XY[]>(canvas, {
      type: 'line',
      data: { datasets: [events, anomalies] },
      options: {
        ...baseOptions(true),
        scales: {
          x: timeAxis(true),
          y: { beginAtZero: true, grid: { color: GRID }, ticks: { callback: (v) => fmtRate(Number(v)) } },
          y2: {
            beginAtZero: true,
            position: 'right',
            grid: { display: false },
            ticks: { color: '#ff8da1', callback: (v) => fmtRate(Number(v)) },
          },
        },
      },
    });
  }

  update(doc: StatsDoc): number {
    const step = doc.throughput.step_s || 1;
    const pts = doc.throughput.series;
    this.chart.data.datasets[0].data = pts.map((p) => ({ x: p.t, y: p.events / step }));
    this.chart.data.datasets[1].data = pts.map((p) => ({ x: p.t, y: p.anomalies / step }));
    fitTimeAxis(this.chart, doc, pts[0]?.t);
    this.chart.update('none');
    const n = pts.filter((p) => p.events > 0).length;
    this.canvas.dataset.points = String(n);
    return n;
  }
}

export class LatencyChart {
  private readonly chart: Chart<'line', XY[]>;
  constructor(private readonly canvas: HTMLCanvasElement) {
    const line = (label: string, color: string): ChartDataset<'line', XY[]> => ({
      label,
      data: [],
      borderColor: color,
      backgroundColor: color,
      pointRadius: 2,
      borderWidth: 1.5,
      spanGaps: false,
    });
    this.chart = new Chart<'line', XY[]>(canvas, {
      type: 'line',
      data: { datasets: [line('p50', '#5dd39e'), line('p95', '#f5b942'), line('p99', '#ff5c7a')] },
      options: {
        ...baseOptions(false),
        scales: {
          x: timeAxis(false),
          y: {
            beginAtZero: true,
            grid: { color: GRID },
            ticks: { maxTicksLimit: 6, callback: (v) => fmtMs(Number(v)) },
          },
        },
      },
    });
  }

  update(doc: StatsDoc): number {
    const pts = doc.latency.series;
    const ds = this.chart.data.datasets;
    ds[0].data = pts.map((p) => ({ x: p.t, y: p.p50_ms }));
    ds[1].data = pts.map((p) => ({ x: p.t, y: p.p95_ms }));
    ds[2].data = pts.map((p) => ({ x: p.t, y: p.p99_ms }));
    fitTimeAxis(this.chart, doc, pts[0]?.t);
    this.chart.update('none');
    const n = pts.filter((p) => p.count > 0).length;
    this.canvas.dataset.points = String(n);
    return n;
  }
}
