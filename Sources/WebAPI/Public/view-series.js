// Bring your own series: a CSV file or pasted `date,close` lines, POSTed as text/csv to
// /api/forecasts; the job's result is a forecast document like a symbol's.
import { api } from './api.js';
import { h, note } from './dom.js';
import { field, formTop, clearErrors, showError, showProblem } from './forms.js';
import { showForecast } from './forecast-panel.js';

const EXAMPLE = 'date,close\n2024-01-02,370.87\n2024-01-03,370.60\n…';

export function seriesView() {
  const output = h('div', { id: 'series-output' });
  const csv = h('textarea', { name: 'body', id: 'series-csv', rows: 10, spellcheck: 'false', placeholder: EXAMPLE });
  const file = h('input', { name: 'file', id: 'series-file', type: 'file', accept: '.csv,text/csv,text/plain' });
  const label = h('input', { name: 'name', id: 'series-name', maxlength: 64, placeholder: 'my-series' });
  const form = h('form', { id: 'series-form', class: 'card', novalidate: true },
    h('p', { class: 'muted' }, 'A header line "date,close", then one trading day per line (YYYY-MM-DD, price), oldest first. Every model is fitted and backtested on it, as for a symbol.'),
    formTop(),
    field('Label (optional)', label),
    field('CSV file', file),
    field('…or paste the lines', csv),
    h('button', { type: 'submit', class: 'primary' }, 'Forecast this series'));

  // A chosen file fills the text area, so what is sent is visible (and editable) first.
  file.addEventListener('change', async () => {
    if (file.files[0]) csv.value = await file.files[0].text();
  });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    const text = csv.value.trim();
    if (!text) { showError(form, 'Choose a CSV file or paste date,close lines.', 'body'); return; }
    const name = label.value.trim();
    const query = name ? `?name=${encodeURIComponent(name)}` : '';
    const button = form.querySelector('button[type=submit]');
    button.disabled = true;
    try {
      const answer = await api(`/api/forecasts${query}`, { method: 'POST', text: `${text}\n`, contentType: 'text/csv' });
      // The job's progress and then the report appear below the form: bring them into view.
      output.scrollIntoView({ block: 'start' });
      await showForecast(output, answer, name || 'Your series');
      output.scrollIntoView({ block: 'start' });
    } catch (error) {
      if (error.status === 404) showError(form, 'This server does not offer POST /api/forecasts yet, so your own series cannot be forecast here.');
      else showProblem(form, error);
    } finally {
      button.disabled = false;
    }
  });
  return h('div', {}, h('h1', {}, 'Your series'), form, output);
}
