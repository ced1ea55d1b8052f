// The symbol search box of the markets and forecast pages: checked here before any request
// (the server checks again), upper-cased, then handed to `go`.
import { h } from './dom.js';
import { field, formTop, clearErrors, showError } from './forms.js';
import { checkSymbol } from './symbols.js';

export function symbolForm(id, initial, go) {
  const input = h('input', { name: 'symbol', value: initial || '', placeholder: 'MSFT', autocapitalize: 'characters', maxlength: 10, required: true });
  const form = h('form', { id, class: 'search', novalidate: true }, formTop(),
    field('Symbol', input), h('button', { type: 'submit', class: 'primary' }, 'Go'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    clearErrors(form);
    const checked = checkSymbol(input.value);
    if (checked.error) { showError(form, checked.error, 'symbol'); return; }
    input.value = checked.symbol;
    go(checked.symbol);
  });
  return form;
}
