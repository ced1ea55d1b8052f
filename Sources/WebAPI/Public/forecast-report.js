// A forecast document on the page: the verdict, the chart, and one table per model. Every
// figure comes from the document; a missing one is "—" with the reason. Cells carry the raw
// numbers (data-value, data-mase) so what is shown can be checked against the API exactly.
import { h } from './dom.js';
import { forecastChart } from './charts.js';
import { price, metric, share, signedPercent, dateTime } from './format.js';
import { verdict, bestModel } from './verdict.js';

const NO_BACKTEST = 'no backtest: the model produced no forecast at any origin';

function missing(reason) {
  return h('span', { class: 'missing', title: reason }, '— ', h('small', {}, `(${reason})`));
}

function accuracyAt(model, horizon) {
  return model.accuracy?.horizons.find((a) => a.horizon === horizon);
}

function modelTable(model) {
  const rows = model.forecasts.map((f) => {
    const scored = accuracyAt(model, f.horizon);
    const why = model.accuracy ? 'not scored at this horizon' : NO_BACKTEST;
    // data-label names each cell for the phone layout, where rows become stacked cards.
    const cell = (label, className, data, ...content) => h('td', { class: className, data: { label, ...data } }, ...content);
    return h('tr', { data: { horizon: f.horizon } },
      cell('Horizon', 'horizon', {}, `${f.horizon} d`, ' ', h('small', { class: 'muted date' }, f.date)),
      cell('Forecast', 'num forecast', { value: f.value }, price(f.value)),
      cell('80% interval', 'num', {}, `${price(f.lo_80)} – ${price(f.hi_80)}`),
      cell('95% interval', 'num', {}, `${price(f.lo_95)} – ${price(f.hi_95)}`),
      scored ? cell('MASE', 'num mase', { mase: scored.mase }, metric(scored.mase)) : cell('MASE', 'mase', {}, missing(why)),
      cell('Skill vs naive', 'num skill', {}, scored?.skill_vs_naive !== undefined ? signedPercent(scored.skill_vs_naive)
        : missing(scored ? 'no naive baseline to compare with' : why)),
      cell('Coverage 80 / 95', 'num coverage', {}, scored ? `${share(scored.coverage_80)} / ${share(scored.coverage_95)}` : missing(why)));
  });
  return h('div', { class: 'table-scroll' }, h('table', { class: 'model-table' },
    h('thead', {}, h('tr', {}, ['Horizon', 'Forecast', '80% interval', '95% interval', 'MASE', 'Skill vs naive', 'Coverage 80 / 95']
      .map((title) => h('th', { scope: 'col' }, title)))),
    h('tbody', {}, rows)));
}

function modelCard(model) {
  const newer = model.newer_observations ? `, run forward over ${model.newer_observations} newer closes` : '';
  const origins = model.accuracy ? `${model.accuracy.origins} origins, ${model.accuracy.failed_origins} failed` : NO_BACKTEST;
  return h('section', { class: 'card model', data: { model: model.name } },
    h('h3', {}, model.name),
    h('p', { class: 'spec' }, model.spec),
    h('p', { class: 'muted small' },
      `Source: ${model.source === 'stored' ? 'stored (trained artifacts)' : 'fit (fitted for this forecast)'} · trained ${dateTime(model.trained_at)} · `,
      `${model.observations} observations${newer} · backtest: ${origins}`),
    modelTable(model));
}

/** Renders `doc` into `container`; `label` names the series (a symbol or an uploaded file). */
export function renderForecast(container, doc, label = doc.symbol) {
  // The bands start on the model the verdict names as best.
  const best = bestModel(doc);
  const canvas = h('canvas', { id: 'forecast-chart', 'aria-label': `History and forecasts for ${label}` });
  const focus = h('select', { id: 'band-model', 'aria-label': 'Model whose intervals are drawn' },
    doc.models.map((m) => h('option', { value: m.name, selected: m === best }, m.name)));
  const unavailable = doc.unavailable?.length
    ? h('section', { class: 'card', id: 'unavailable' }, h('h3', {}, 'Models without a forecast'),
      h('ul', {}, doc.unavailable.map((u) => h('li', {}, h('strong', {}, u.name), `: ${u.reason}`))))
    : null;
  const notes = doc.notes?.length
    ? h('section', { class: 'card', id: 'notes' }, h('h3', {}, 'Notes'), h('ul', {}, doc.notes.map((n) => h('li', {}, n))))
    : null;
  container.replaceChildren(h('div', { class: 'report', id: 'forecast-report', data: { symbol: doc.symbol } },
    h('h2', {}, `${label}: forecast`),
    h('p', { class: 'muted' }, `Last close ${price(doc.last_close)} on ${doc.as_of} · generated ${dateTime(doc.generated_at)} · model version ${doc.model_version}`),
    h('p', { class: 'verdict', id: 'verdict' }, verdict(doc)),
    h('div', { class: 'card' },
      h('label', { class: 'inline' }, 'Intervals (80% and 95%) drawn for ', focus),
      h('div', { class: 'chart-box tall' }, canvas)),
    unavailable, notes,
    h('div', { class: 'models' }, doc.models.map(modelCard))));
  const draw = () => forecastChart(canvas, doc, focus.value);
  focus.addEventListener('change', draw);
  draw();
}
