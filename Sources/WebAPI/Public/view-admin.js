// Administration: the queue, precomputing forecasts, training now, and what is trained. The
// last training run comes from GET /api/models (`last_run`); a run started here is followed
// through GET /api/admin/train/{run}.
import { api } from './api.js';
import { h, fill, note } from './dom.js';
import { field, formTop, clearErrors, showProblem } from './forms.js';
import { dateTime, metric } from './format.js';

function table(headers, rows) {
  return h('div', { class: 'table-scroll' }, h('table', {},
    h('thead', {}, h('tr', {}, headers.map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, rows.map((cells) => h('tr', {}, cells.map((c) => h('td', {}, c)))))));
}

async function loadQueue(slot) {
  try {
    const { data: q } = await api('/api/admin/queue');
    const consumers = Object.entries(q.pending_by_consumer);
    fill(slot,
      h('dl', { class: 'stats' },
        ['Depth', q.depth, 'Pending', q.pending, 'Delayed (retries)', q.delayed, 'Dead letters', q.dead_letters,
          'Oldest pending', q.oldest_pending_seconds === undefined || q.oldest_pending_seconds === null ? '—' : `${q.oldest_pending_seconds} s`]
          .map((v, i) => h(i % 2 ? 'dd' : 'dt', {}, String(v)))),
      consumers.length ? table(['Consumer', 'Pending'], consumers) : null,
      q.recent_dead_letters.length
        ? h('div', {}, h('h4', {}, 'Recent dead letters'), table(['Job', 'Type', 'Attempts', 'Error'],
          q.recent_dead_letters.map((d) => [d.job_id, d.type, String(d.attempts), d.error])))
        : note('No dead letters.'));
  } catch (error) {
    fill(slot, note(error.message, 'error'));
  }
}

function runView(run) {
  return h('div', { id: 'train-run' },
    h('p', {}, `Run ${run.id} (${run.trigger}) · ${run.status} · started ${dateTime(run.started_at)}`,
      run.finished_at ? ` · finished ${dateTime(run.finished_at)}` : ''),
    table(['Symbol', 'Status', 'Error'], run.symbols.map((s) => [s.symbol, s.status, s.error || ''])));
}

async function followRun(id, slot) {
  for (;;) {
    const { data: run } = await api(`/api/admin/train/${encodeURIComponent(id)}`);
    fill(slot, h('h4', {}, 'Started from this page'), runView(run));
    if (run.status !== 'running') return;
    await new Promise((r) => setTimeout(r, 3000));
  }
}

async function loadModels(slot, runSlot) {
  try {
    const { data } = await api('/api/models');
    if (data.last_run && !runSlot.hasChildNodes()) fill(runSlot, h('h4', {}, 'Last run'), runView(data.last_run));
    fill(slot,
      h('p', { class: 'muted' }, `Model version ${data.model_version} · schedule ${data.schedule}`,
        data.next_training_at ? ` · next ${dateTime(data.next_training_at)}` : ''),
      data.models.length ? table(['Model', 'Symbol', 'Spec', 'Trained', 'MASE (1 d)'],
        data.models.flatMap((m) => m.symbols.map((s) => [m.name, s.symbol, s.spec, dateTime(s.trained_at),
          s.accuracy?.horizons.find((a) => a.horizon === 1) ? metric(s.accuracy.horizons.find((a) => a.horizon === 1).mase) : '— (no backtest)'])))
        : note('Nothing is trained for this model version yet.'));
  } catch (error) {
    fill(slot, note(error.message, 'error'));
  }
}

function symbolsForm(id, title, submit, action) {
  const form = h('form', { id, class: 'inline-form', novalidate: true }, formTop(),
    field(title, h('input', { name: 'symbols', placeholder: 'MSFT,AAPL' })), h('button', { type: 'submit' }, submit));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    try { await action(new FormData(form).get('symbols').trim()); } catch (error) { showProblem(form, error); }
  });
  return form;
}

export function adminView() {
  const queue = h('div', {}, note('Loading…'));
  const models = h('div', {}, note('Loading…'));
  const run = h('div', {});
  const precomputed = h('div', {});
  const precompute = symbolsForm('precompute-form', 'Symbols (comma-separated)', 'Precompute forecasts', async (symbols) => {
    const { data } = await api(`/api/precompute?symbols=${encodeURIComponent(symbols)}`, { method: 'POST' });
    fill(precomputed, table(['Symbol', 'Job', 'Shared an existing job'], data.jobs.map((j) => [j.symbol, j.job_id, j.deduplicated ? 'yes' : 'no'])),
      data.invalid.length ? note(`Not symbols: ${data.invalid.map((i) => `${i.symbol} (${i.reason})`).join('; ')}`, 'error') : null);
    loadQueue(queue);
  });
  const train = symbolsForm('train-form', 'Symbols (empty: the configured list)', 'Train now', async (symbols) => {
    const query = symbols ? `?symbols=${encodeURIComponent(symbols)}` : '';
    const { data } = await api(`/api/admin/train${query}`, { method: 'POST' });
    await followRun(data.run_id, run);
    loadModels(models, run);
  });
  const refresh = h('button', { type: 'button', on: { click: () => loadQueue(queue) } }, 'Refresh');
  loadQueue(queue);
  loadModels(models, run);
  return h('div', {}, h('h1', {}, 'Admin'),
    h('section', { class: 'card', id: 'queue' }, h('h3', {}, 'Queue ', refresh), queue),
    h('section', { class: 'card' }, h('h3', {}, 'Precompute'), precompute, precomputed),
    h('section', { class: 'card' }, h('h3', {}, 'Training'), train, run),
    h('section', { class: 'card', id: 'models' }, h('h3', {}, 'Trained models'), models));
}
