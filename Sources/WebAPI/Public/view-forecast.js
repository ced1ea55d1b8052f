// Forecast for a symbol: GET /api/predictions/{symbol}, then the document or its job.
import { api } from './api.js';
import { h, note } from './dom.js';
import { showProblem } from './forms.js';
import { symbolForm } from './symbol-form.js';
import { showForecast } from './forecast-panel.js';
import { checkSymbol } from './symbols.js';

export function forecastView(symbol) {
  const output = h('div', { id: 'forecast-output' });
  const form = symbolForm('forecast-search', symbol, (s) => { location.hash = `#/forecast/${s}`; });
  const view = h('div', {}, h('h1', {}, 'Forecast'), form, output);
  const checked = symbol ? checkSymbol(symbol) : null;
  if (!checked || checked.error) {
    output.append(note('Forecasts 1, 2 and 5 trading days ahead from every model, with their backtest accuracy on the symbol.'));
    return view;
  }
  output.append(note(`Asking for ${checked.symbol}'s forecast…`));
  api(`/api/predictions/${encodeURIComponent(checked.symbol)}`)
    .then((answer) => showForecast(output, answer, checked.symbol))
    .catch((error) => {
      output.replaceChildren();
      if (error.field === 'symbol') showProblem(form, error); else output.append(note(error.message, 'error'));
    });
  return view;
}
