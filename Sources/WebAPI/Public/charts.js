// Chart.js (vendor/chart.min.js, a classic script defining window.Chart) with the dashboard's
// settings: no animation (charts redraw on every range change), a category axis of the
// document's dates (no date adapter needed).

const COLORS = ['#1f4fd1', '#c2410c', '#15803d', '#7e22ce', '#b91c1c', '#0e7490', '#a16207', '#be185d', '#334155'];

function make(canvas, config) {
  window.Chart.getChart(canvas)?.destroy();
  return new window.Chart(canvas, config);
}

function options(extra = {}) {
  return {
    animation: false,
    responsive: true,
    maintainAspectRatio: false,
    interaction: { mode: 'index', intersect: false },
    scales: { x: { ticks: { maxTicksLimit: 8, autoSkip: true, maxRotation: 0 } }, y: { ticks: { maxTicksLimit: 6 } } },
    ...extra,
  };
}

export function priceChart(canvas, series) {
  return make(canvas, {
    type: 'line',
    data: {
      labels: series.points.map((p) => p.date),
      datasets: [{ label: `${series.symbol} close`, data: series.points.map((p) => p.price), borderColor: COLORS[0],
        backgroundColor: 'rgba(31,79,209,0.08)', fill: 'origin', pointRadius: 0, borderWidth: 1.5, tension: 0 }],
    },
    options: options({ plugins: { legend: { display: false } } }),
  });
}

/** Closes of history shown before the forecast, so its five trading days are not a sliver. */
const HISTORY_SHOWN = 40;

/**
 * Recent history plus every model's point forecasts; the 80% and 95% bands of `focus` drawn
 * with the filler plugin (each lower bound filled up to the next dataset, its upper bound).
 * The x axis has a slot per trading day ahead (1…5); the document has no figures for 3 and 4,
 * so lines span those gaps.
 */
export function forecastChart(canvas, doc, focus) {
  const history = doc.history.slice(-HISTORY_SHOWN);
  const points = doc.models[0]?.forecasts || [];
  const horizon = Math.max(0, ...points.map((f) => f.horizon));
  const future = Array.from({ length: horizon }, (_, i) => points.find((f) => f.horizon === i + 1)?.date ?? `+${i + 1} d`);
  const labels = history.map((p) => p.date).concat(future);
  const last = history.length - 1;
  // A forecast line starts at the last close, so it joins the history.
  const ahead = (forecasts, key) => labels.map((_, i) => {
    if (i < last) return null;
    if (i === last) return doc.last_close;
    return forecasts.find((f) => f.horizon === i - last)?.[key] ?? null;
  });
  const datasets = [{ label: 'History', data: history.map((p) => p.close), borderColor: '#111827', pointRadius: 0, borderWidth: 1.5 }];
  const model = doc.models.find((m) => m.name === focus);
  if (model) {
    const band = (key, label, color, fill) => ({
      label, band: true, data: ahead(model.forecasts, key), borderWidth: 0, pointRadius: 0, spanGaps: true,
      backgroundColor: color, fill,
    });
    datasets.push(band('lo_95', `${model.name} 95% low`, 'rgba(31,79,209,0.12)', '+1'));
    datasets.push(band('hi_95', `${model.name} 95% high`, 'rgba(31,79,209,0.12)', false));
    datasets.push(band('lo_80', `${model.name} 80% low`, 'rgba(31,79,209,0.22)', '+1'));
    datasets.push(band('hi_80', `${model.name} 80% high`, 'rgba(31,79,209,0.22)', false));
  }
  doc.models.forEach((m, index) => {
    const focused = m.name === focus;
    datasets.push({
      label: m.name, data: ahead(m.forecasts, 'value'), spanGaps: true, borderColor: focused ? COLORS[0] : COLORS[(index % (COLORS.length - 1)) + 1],
      borderWidth: focused ? 2.5 : 1, pointRadius: focused ? 3 : 1.5, borderDash: focused ? [] : [4, 3],
    });
  });
  return make(canvas, {
    type: 'line',
    data: { labels, datasets },
    options: options({
      plugins: {
        legend: { position: 'bottom', labels: { boxWidth: 12, filter: (item, data) => !data.datasets[item.datasetIndex].band } },
        filler: { propagate: false },
      },
    }),
  });
}
