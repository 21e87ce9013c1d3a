// login: the sign-in page (POST /api/v1/login sets the HttpOnly cw_session cookie; the page
// never sees it). onDone() is called after a successful login. notice: why the user is here
// again (a key of i18n.js, e.g. login.newday when the hub's store was reset), or null.

import { t, setLang, getLang } from '../i18n.js';
import { post } from '../api.js';
import { esc } from '../fmt.js';

export function renderLogin(root, onDone, notice = null) {
  const draw = () => {
    root.innerHTML =
      `<div class="login"><form class="login-box" autocomplete="on">` +
      `<div class="login-brand"><svg viewBox="0 0 32 32" aria-hidden="true"><path d="M6 24V13l5-4 5 4v11M16 24V9l5-3 5 3v15M4 24h24" fill="none" stroke="currentColor" stroke-width="2.2" stroke-linejoin="round"/></svg>` +
      `<div><h1>${esc(t('app.title'))}</h1><small>${esc(t('app.subtitle'))}</small></div></div>` +
      `<h2>${esc(t('login.title'))}</h2>` +
      (notice ? `<div class="login-notice" role="status" data-notice="${esc(notice)}">${esc(t(notice))}</div>` : '') +
      `<label for="login-user">${esc(t('login.user'))}</label><input id="login-user" name="user" autocomplete="username" required>` +
      `<label for="login-pass">${esc(t('login.password'))}</label><input id="login-pass" name="password" type="password" autocomplete="current-password" required>` +
      `<div class="login-err" role="alert"></div>` +
      `<button type="submit" class="btn primary wide">${esc(t('login.submit'))}</button>` +
      `<button type="button" class="btn ghost small login-lang" data-act="lang">${esc(t('lang.switch'))}</button>` +
      `</form></div>`;
    const form = root.querySelector('form');
    const err = root.querySelector('.login-err');
    root.querySelector('[data-act="lang"]').onclick = () => { setLang(getLang() === 'zh' ? 'en' : 'zh'); draw(); };
    form.onsubmit = async (e) => {
      e.preventDefault();
      const btn = form.querySelector('button[type="submit"]');
      btn.disabled = true;
      btn.textContent = t('login.busy');
      err.textContent = '';
      try {
        await post('/api/v1/login', { user: form.elements.user.value.trim(), password: form.elements.password.value }, { quiet401: true });
        onDone();
      } catch (ex) {
        err.textContent = ex.status === 401 || ex.status === 403 ? t('login.failed')
          : ex.status === 429 ? t('login.locked')
            : ex.status === 0 ? t('login.network') : t('login.error', { status: ex.status });
        btn.disabled = false;
        btn.textContent = t('login.submit');
      }
    };
    form.elements.user.focus();
  };
  draw();
}
