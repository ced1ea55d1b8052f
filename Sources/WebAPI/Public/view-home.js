// Markets: a symbol's quote, its price chart over a chosen range, and its news. Each answer
// says where it came from and whether it is stale.
import { api } from './api.js';
import { h, fill, note } from './dom.js';
import { showError, showProblem } from './forms.js';
import { checkSymbol } from './symbols.js';
import { symbolForm } from './symbol-form.js';
import { priceChart } from './charts.js';
import { price, signedPercent, age, sourceName, dateTime } from './format.js';

const RANGES = ['1W', '1M', '3M', '6M', 'YTD', '1Y', '2Y', '5Y', '10Y'];

function provenance(answer) {
  const stale = answer.stale ? h('span', { class: 'badge stale' }, 'stale: every provider failed just now') : null;
  return h('p', { class: 'provenance muted small' }, `Source: ${sourceName(answer.source)}`,
    answer.age_seconds !== undefined ? ` · fetched ${age(answer.age_seconds)}` : '', ' ', stale);
}

function quoteCard(quote) {
  const change = quote.change === undefined || quote.change === null ? null
    : h('span', { class: quote.change >= 0 ? 'up' : 'down' }, `${quote.change >= 0 ? '+' : ''}${price(quote.change)}`,
      quote.change_percent !== undefined && quote.change_percent !== null ? ` (${signedPercent(quote.change_percent / 100)})` : '');
  return h('section', { class: 'card quote', id: 'quote', data: { price: quote.price } },
    h('h2', {}, quote.symbol),
    h('p', { class: 'price' }, price(quote.price), ' ', change),
    h('p', { class: 'muted small' }, `Close of ${quote.as_of}`), provenance(quote));
}

function newsList(news) {
  const cards = news.articles.map((a) => h('li', { class: 'news-card' },
    h('a', { href: a.url, rel: 'noopener noreferrer', target: '_blank' }, a.title),
    h('p', { class: 'muted small' }, `${a.source} · ${dateTime(a.publishedAt)}`),
    a.summary ? h('p', {}, a.summary) : null));
  const empty = news.articles.length ? null
    : note(`No news: ${news.reason || 'no provider returned any articles'}.`);
  return h('section', { class: 'card', id: 'news' }, h('h3', {}, 'News'), empty, h('ul', { class: 'news' }, cards),
    news.source ? provenance({ source: news.source, stale: news.stale, age_seconds: news.ageSeconds }) : null);
}

async function loadChart(symbol, range, box) {
  const buttons = box.querySelectorAll('[data-range]');
  for (const b of buttons) b.setAttribute('aria-pressed', String(b.dataset.range === range));
  const status = box.querySelector('.chart-status');
  try {
    const { data } = await api(`/api/timeseries/${encodeURIComponent(symbol)}?range=${range}`);
    status.replaceChildren(provenance(data),
      data.history_start ? h('p', { class: 'muted small' }, `History from ${data.history_start} · ${data.points.length} points (${data.resolution})`) : null);
    priceChart(box.querySelector('canvas'), data);
  } catch (error) {
    status.replaceChildren(note(error.message, 'error'));
  }
}

export function homeView(symbol) {
  const results = h('div', { id: 'results' });
  const form = symbolForm('symbol-search', symbol, (s) => { location.hash = `#/home/${s}`; });
  const view = h('div', {}, h('h1', {}, 'Markets'), form, results);
  if (!symbol) { results.append(note('Search a symbol: the bundled data has MSFT, AAPL, GOOG, IBM, SPX and IXIC.')); return view; }
  const checked = checkSymbol(symbol);
  if (checked.error) { showError(form, checked.error, 'symbol'); return view; }
  symbol = checked.symbol;

  const chartBox = h('section', { class: 'card', id: 'price' },
    h('div', { class: 'ranges', role: 'group', 'aria-label': 'Range' },
      RANGES.map((r) => h('button', { type: 'button', data: { range: r }, on: { click: () => loadChart(symbol, r, chartBox) } }, r))),
    h('div', { class: 'chart-box' }, h('canvas', { id: 'price-chart', 'aria-label': `${symbol} price history` })),
    h('div', { class: 'chart-status' }));
  const quoteSlot = h('div', {}, note('Loading the quote…'));
  const newsSlot = h('div', {}, note('Loading news…'));
  fill(results, h('div', { class: 'grid' }, h('div', {}, quoteSlot,
    h('a', { class: 'button primary', href: `#/forecast/${symbol}`, id: 'forecast-link' }, `Forecast ${symbol}`)), chartBox), newsSlot);

  api(`/api/stock/${encodeURIComponent(symbol)}`)
    .then(({ data }) => fill(quoteSlot, quoteCard(data)))
    .catch((error) => { fill(quoteSlot); if (error.field === 'symbol') showProblem(form, error); else quoteSlot.append(note(error.message, 'error')); });
  api(`/api/news?symbol=${encodeURIComponent(symbol)}`)
    .then(({ data }) => fill(newsSlot, newsList(data)))
    .catch((error) => fill(newsSlot, note(`News: ${error.message}`, 'error')));
  loadChart(symbol, '1Y', chartBox);
  return view;
}
