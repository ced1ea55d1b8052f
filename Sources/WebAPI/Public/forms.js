// Form plumbing: labelled inputs with a place for their own error, and problem+json errors
// put next to the field they name (`field`), else at the top of the form.
import { h } from './dom.js';

export function field(label, input, hint) {
  return h('label', { class: 'field' },
    h('span', { class: 'field-label' }, label),
    input,
    hint ? h('small', { class: 'muted' }, hint) : null,
    h('span', { class: 'field-error', data: { fieldError: input.name }, role: 'alert' }));
}

export function formTop() {
  return h('p', { class: 'form-error', role: 'alert', hidden: true });
}

export function clearErrors(form) {
  for (const node of form.querySelectorAll('.field-error')) node.textContent = '';
  for (const node of form.querySelectorAll('[aria-invalid]')) node.removeAttribute('aria-invalid');
  const top = form.querySelector('.form-error');
  if (top) { top.textContent = ''; top.hidden = true; }
}

/** Shows `message` by the input named `name` when the form has one, else at the top. */
export function showError(form, message, name) {
  const slot = name && form.querySelector(`[data-field-error="${CSS.escape(name)}"]`);
  if (slot) {
    slot.textContent = message;
    form.querySelector(`[name="${CSS.escape(name)}"]`)?.setAttribute('aria-invalid', 'true');
    return;
  }
  const top = form.querySelector('.form-error');
  top.textContent = message;
  top.hidden = false;
}

export function showProblem(form, error) {
  showError(form, error.message, error.field);
}
