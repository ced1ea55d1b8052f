// Sign in and register. Both answer with a token, kept by `session`.
import { api, session } from './api.js';
import { h } from './dom.js';
import { field, formTop, clearErrors, showProblem } from './forms.js';

function authForm({ id, title, inputs, submit, path, body, other }) {
  const form = h('form', { id, class: 'card auth', novalidate: true },
    h('h2', {}, title), formTop(), inputs, h('button', { type: 'submit', class: 'primary' }, submit), other);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    const button = form.querySelector('button[type=submit]');
    button.disabled = true;
    try {
      const { data } = await api(path, { method: 'POST', json: body(new FormData(form)), auth: false });
      session.save(data.access_token);
      location.hash = '#/home';
    } catch (error) {
      showProblem(form, error);
    } finally {
      button.disabled = false;
    }
  });
  return form;
}

export function signInView() {
  return authForm({
    id: 'signin-form', title: 'Sign in', submit: 'Sign in', path: '/api/auth/login',
    inputs: [
      field('Username or email', h('input', { name: 'login', autocomplete: 'username', required: true })),
      field('Password', h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true })),
    ],
    body: (data) => ({ login: data.get('login'), password: data.get('password') }),
    other: h('p', { class: 'muted' }, 'No account yet? ', h('a', { href: '#/register', id: 'to-register' }, 'Register')),
  });
}

export function registerView() {
  return authForm({
    id: 'register-form', title: 'Create an account', submit: 'Register', path: '/api/auth/register',
    inputs: [
      field('Username', h('input', { name: 'username', autocomplete: 'username', required: true }), '3–32 of letters, digits, _ . -'),
      field('Email', h('input', { name: 'email', type: 'email', autocomplete: 'email', required: true })),
      field('Password', h('input', { name: 'password', type: 'password', autocomplete: 'new-password', required: true }), '8–72 bytes'),
    ],
    body: (data) => ({ username: data.get('username'), email: data.get('email'), password: data.get('password') }),
    other: h('p', { class: 'muted' }, 'Have an account? ', h('a', { href: '#/signin' }, 'Sign in')),
  });
}
