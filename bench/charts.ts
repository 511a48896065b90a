/**
 * Plain SVG templates for BENCHMARKS.md: horizontal bars, grouped per row, values printed at the bar
 * ends, so a chart reads without its table. No library: three small shapes are all it needs, and
 * the markup stays diffable in review.
 */
export interface Series {
  name: string;
  color: string;
}

export interface BarRow {
  label: string;
  /** One value per series, in series order; undefined leaves a gap. */
  values: (number | undefined)[];
}

export interface BarChart {
  title: string;
  unit: string;
  series: Series[];
  rows: BarRow[];
  /** Stacked: one bar per row, the series' values laid end to end (stage breakdowns). */
  stacked?: boolean;
}

const FAMILY = 'font-family="system-ui, sans-serif"';
const FONT = `${FAMILY} font-size="12"`;
const LABEL_WIDTH = 300;
const BAR_AREA = 420;
const BAR_HEIGHT = 14;
const GAP = 6;

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function format(value: number): string {
  return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2);
}

/** One SVG document: a title, a legend, then one group of bars per row. */
export function barChart(chart: BarChart): string {
  const finite = chart.rows.flatMap((r) => (chart.stacked ? [r.values.reduce<number>((a, v) => a + (v ?? 0), 0)] : r.values.filter((v): v is number => v !== undefined)));
  const max = Math.max(1e-9, ...finite);
  const scale = (v: number): number => (v / max) * BAR_AREA;
  const barsPerRow = chart.stacked ? 1 : chart.series.length;
  const rowHeight = barsPerRow * BAR_HEIGHT + (barsPerRow - 1) * 2 + GAP * 2;
  const top = 56;
  const height = top + chart.rows.length * rowHeight + 10;
  const width = LABEL_WIDTH + BAR_AREA + 90;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escape(chart.title)}">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="10" y="20" ${FAMILY} font-size="14" font-weight="bold">${escape(chart.title)}</text>`,
  ];
  chart.series.forEach((s, i) => {
    const x = 10 + i * 170;
    parts.push(`<rect x="${x}" y="30" width="12" height="12" fill="${s.color}"/>`, `<text x="${x + 18}" y="40" ${FONT}>${escape(s.name)}</text>`);
  });
  chart.rows.forEach((row, r) => {
    const y0 = top + r * rowHeight + GAP;
    parts.push(`<text x="${LABEL_WIDTH - 8}" y="${y0 + (barsPerRow * (BAR_HEIGHT + 2)) / 2 + 3}" ${FONT} text-anchor="end">${escape(row.label)}</text>`);
    if (chart.stacked) {
      let x = LABEL_WIDTH;
      row.values.forEach((v, i) => {
        if (v === undefined || v <= 0) return;
        const w = scale(v);
        parts.push(`<rect x="${x.toFixed(1)}" y="${y0}" width="${w.toFixed(1)}" height="${BAR_HEIGHT}" fill="${chart.series[i]?.color ?? '#999'}"><title>${escape(`${chart.series[i]?.name ?? ''}: ${format(v)} ${chart.unit}`)}</title></rect>`);
        x += w;
      });
      const total = row.values.reduce<number>((a, v) => a + (v ?? 0), 0);
      parts.push(`<text x="${(x + 4).toFixed(1)}" y="${y0 + BAR_HEIGHT - 3}" ${FONT}>${format(total)} ${escape(chart.unit)}</text>`);
    } else {
      row.values.forEach((v, i) => {
        if (v === undefined) return;
        const y = y0 + i * (BAR_HEIGHT + 2);
        const w = scale(v);
        parts.push(
          `<rect x="${LABEL_WIDTH}" y="${y}" width="${w.toFixed(1)}" height="${BAR_HEIGHT}" fill="${chart.series[i]?.color ?? '#999'}"/>`,
          `<text x="${(LABEL_WIDTH + w + 4).toFixed(1)}" y="${y + BAR_HEIGHT - 3}" ${FONT}>${format(v)}</text>`,
        );
      });
    }
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

export const COLORS = { fp32: '#4e79a7', int8: '#f28e2b', p50: '#59a14f', p99: '#e15759', stages: ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f'] } as const;
