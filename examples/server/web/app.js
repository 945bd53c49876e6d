// The account-security page of the acctsec DEMO. It drives only the
// documented HTTP API (README.md, "The HTTP API") plus the demo's own
// /demo routes (sign-in, register, dev inbox), with same-origin fetches:
// the session and the forgot-password flow travel in HttpOnly cookies the
// page never reads. Every text from the server (msg) is shown with
// textContent, never as HTML.
'use strict';

(() => {
  const TEXTS = {
    en: {
      title: 'Account security',
      devOnly: 'DEVELOPMENT DEMO ONLY: anyone can register and sign in as anyone, the dev inbox below shows every code and link sent, nothing is kept. Never deploy this page or its /demo routes.',
      session: 'Demo sign-in', signedInAs: 'Signed in as', signOut: 'Sign out', signIn: 'Sign in',
      userId: 'User ID', password: 'Password', register: 'Create a member',
      phoneOptional: 'Phone (optional)', emailOptional: 'Email (optional)', registerAndSignIn: 'Create and sign in',
      security: 'Account security', status: 'Status',
      stPhone: 'Phone', stEmail: 'Email', stPay: 'Pay password', stPassword: 'Password changed',
      changePassword: 'Change password', currentPassword: 'Current password', newPassword: 'New password',
      newPasswordAgain: 'New password again', save: 'Save',
      bindPhone: 'Bind phone', changePhone: 'Change phone', oldPhoneLegend: 'Phone bound now',
      boundPhone: 'Bound phone number', sendCode: 'Send code', codeToBound: 'Code sent to the bound phone',
      newPhone: 'New phone number', codeToNew: 'Code sent to the new phone',
      setPay: 'Set pay password', newPin: 'New 6-digit pay password', newPinAgain: 'New pay password again',
      updatePay: 'Change pay password', oldPin: 'Current pay password', resetPay: 'Forgot pay password',
      verifyEmail: 'Verify email', email: 'Email', sendMail: 'Send code and link', emailCode: 'Code from the email',
      verify: 'Verify', emailLinkHint: 'Or open the link in the email (see the dev inbox).',
      forgot: 'Forgot password', phone: 'Phone number', smsCode: 'Code from the SMS', next: 'Next',
      inbox: 'Dev inbox',
      inboxWarn: 'DEVELOPMENT ONLY: every SMS and email the demo sent, codes and links included, newest first. A real service never shows these.',
      refresh: 'Refresh', inboxEmpty: 'No messages yet.',
      okSignedIn: 'Signed in.', okRegistered: 'Member created and signed in.', okSignedOut: 'Signed out.',
      okPassword: 'Password changed.', okPhone: 'Phone saved.', okPaySet: 'Pay password set.',
      okPayUpdate: 'Pay password changed.', okPayReset: 'Pay password reset.',
      okMailSent: 'If the address can be verified, a code and a link are on their way.',
      okMailVerified: 'Email verified.', okCodeSent: 'Code sent.',
      okForgotSent: 'If an account has this phone, a code is on its way.',
      okForgotVerified: 'Code accepted. Choose a new password.',
      okForgotDone: 'Password reset. Sign in with the new password.',
      notBound: 'not bound', none: 'none', verified: 'verified', unverified: 'not verified',
      notSet: 'not set', set: 'set', lockedUntil: 'locked until',
      network: 'Network error. Try again.', badAnswer: 'The server sent an answer the page does not understand.',
      sms: 'SMS', mail: 'Email', code: 'Code', openLink: 'Open the link',
      switchLabel: 'Switch to Chinese',
      purposes: {
        bind_phone: 'bind a phone', confirm_phone: 'confirm the bound phone', forgot_password: 'forgot password',
        verify_email: 'verify email', password_changed: 'password changed', password_reset: 'password reset',
        phone_bound: 'phone bound', phone_unbound: 'phone unbound', pay_password_set: 'pay password set',
        pay_password_changed: 'pay password changed', pay_password_reset: 'pay password reset',
        pay_password_locked: 'pay password locked', email_verified: 'email verified',
      },
    },
    'zh-CN': {
      title: '账户安全',
      devOnly: '仅供开发演示：任何人都可以注册，并以任何人的身份登录；下方的开发收件箱显示发出的每个验证码和链接；数据不会保存。切勿部署此页面及其 /demo 路由。',
      session: '演示登录', signedInAs: '当前登录：', signOut: '退出登录', signIn: '登录',
      userId: '用户 ID', password: '密码', register: '创建会员',
      phoneOptional: '手机号（可选）', emailOptional: '邮箱（可选）', registerAndSignIn: '创建并登录',
      security: '账户安全', status: '安全状态',
      stPhone: '手机号', stEmail: '邮箱', stPay: '支付密码', stPassword: '密码修改时间',
      changePassword: '修改登录密码', currentPassword: '当前密码', newPassword: '新密码',
      newPasswordAgain: '确认新密码', save: '保存',
      bindPhone: '绑定手机', changePhone: '更换手机', oldPhoneLegend: '当前绑定的手机',
      boundPhone: '绑定的手机号', sendCode: '发送验证码', codeToBound: '发送到绑定手机的验证码',
      newPhone: '新手机号', codeToNew: '发送到新手机的验证码',
      setPay: '设置支付密码', newPin: '新的 6 位支付密码', newPinAgain: '确认支付密码',
      updatePay: '修改支付密码', oldPin: '当前支付密码', resetPay: '忘记支付密码',
      verifyEmail: '验证邮箱', email: '邮箱', sendMail: '发送验证码和链接', emailCode: '邮件中的验证码',
      verify: '验证', emailLinkHint: '也可以打开邮件中的链接（见开发收件箱）。',
      forgot: '忘记密码', phone: '手机号', smsCode: '短信验证码', next: '下一步',
      inbox: '开发收件箱',
      inboxWarn: '仅供开发：演示发出的每条短信和邮件（含验证码和链接），最新的在前。真实的服务绝不会显示这些内容。',
      refresh: '刷新', inboxEmpty: '暂无消息。',
      okSignedIn: '已登录。', okRegistered: '会员已创建并登录。', okSignedOut: '已退出登录。',
      okPassword: '密码已修改。', okPhone: '手机号已保存。', okPaySet: '支付密码已设置。',
      okPayUpdate: '支付密码已修改。', okPayReset: '支付密码已重置。',
      okMailSent: '如果该邮箱可以验证，验证码和链接正在发送。',
      okMailVerified: '邮箱已验证。', okCodeSent: '验证码已发送。',
      okForgotSent: '如果有账户绑定了该手机号，验证码正在发送。',
      okForgotVerified: '验证码正确，请设置新密码。',
      okForgotDone: '密码已重置，请使用新密码登录。',
      notBound: '未绑定', none: '无', verified: '已验证', unverified: '未验证',
      notSet: '未设置', set: '已设置', lockedUntil: '已锁定，解锁时间',
      network: '网络错误，请重试。', badAnswer: '服务器的响应无法识别。',
      sms: '短信', mail: '邮件', code: '验证码', openLink: '打开链接',
      switchLabel: '切换到英文',
      purposes: {
        bind_phone: '绑定手机', confirm_phone: '确认绑定的手机', forgot_password: '找回密码',
        verify_email: '验证邮箱', password_changed: '密码已修改', password_reset: '密码已重置',
        phone_bound: '手机已绑定', phone_unbound: '手机已解绑', pay_password_set: '支付密码已设置',
        pay_password_changed: '支付密码已修改', pay_password_reset: '支付密码已重置',
        pay_password_locked: '支付密码已锁定', email_verified: '邮箱已验证',
      },
    },
  };
  const LANG_KEY = 'acctsec-demo-lang';
  const $ = (id) => document.getElementById(id);

  let lang = pickLang();
  let signedIn = false;
  let status = null;
  let inbox = [];
  let inboxShown = '';

  // pickLang prefers the language chosen with the switch, then the first
  // of the browser's languages the page has.
  function pickLang() {
    try {
      const saved = localStorage.getItem(LANG_KEY);
      if (saved in TEXTS) return saved;
    } catch (e) { /* storage disabled */ }
    const prefs = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || ''];
    for (const p of prefs) {
      const l = String(p).toLowerCase();
      if (l.startsWith('zh')) return 'zh-CN';
      if (l.startsWith('en')) return 'en';
    }
    return 'en';
  }

  function t(key) {
    const v = TEXTS[lang][key];
    return v === undefined ? TEXTS.en[key] || key : v;
  }

  // api calls one route: GET parameters go in the query, others in a form
  // body. It resolves to the envelope plus ok; it never rejects.
  async function api(method, path, params) {
    const q = new URLSearchParams(params || {});
    let url = path;
    let body;
    if (method === 'GET') {
      if (q.toString()) url += '?' + q.toString();
    } else {
      body = q;
    }
    let res;
    try {
      res = await fetch(url, {
        method,
        body,
        credentials: 'same-origin',
        cache: 'no-store',
        headers: { Accept: 'application/json', 'Accept-Language': lang === 'zh-CN' ? 'zh-CN' : 'en' },
      });
    } catch (e) {
      return { ok: false, code: '0', msg: t('network'), data: null };
    }
    let env;
    try {
      env = await res.json();
    } catch (e) {
      env = null;
    }
    if (!env || typeof env.code !== 'string') {
      return { ok: false, code: String(res.status), msg: t('badAnswer'), data: null };
    }
    return { ok: env.code.startsWith('2'), code: env.code, msg: String(env.msg), data: env.data };
  }

  function show(el, text, isError) {
    if (!el) return;
    el.textContent = text;
    el.classList.toggle('error', !!isError);
    el.classList.toggle('ok', !isError && text !== '');
  }

  function clearMessages() {
    for (const el of document.querySelectorAll('.msg')) show(el, '', false);
  }

  function setHidden(el, hidden) {
    if (el) el.hidden = hidden;
  }

  // ---- texts ----

  function applyTexts() {
    document.documentElement.lang = lang;
    document.title = t('title');
    for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
    const other = lang === 'zh-CN' ? 'en' : 'zh-CN';
    const sw = $('lang');
    sw.textContent = other === 'zh-CN' ? '中文' : 'English';
    sw.lang = other;
    sw.title = t('switchLabel');
    renderStatus();
    renderInbox(true);
  }

  function fmtTime(s) {
    const d = new Date(s);
    return isNaN(d.getTime()) ? '' : d.toLocaleString(lang);
  }

  // ---- session ----

  async function refreshSession() {
    const r = await api('GET', '/demo/session');
    signedIn = r.ok && r.data && typeof r.data.userId === 'string';
    $('who').textContent = signedIn ? r.data.userId : '';
    setHidden($('signed-in'), !signedIn);
    setHidden($('signed-out'), signedIn);
    setHidden($('security'), !signedIn);
    setHidden($('forgot'), signedIn);
    status = null;
    if (signedIn) await refreshStatus();
    else renderStatus();
  }

  async function refreshStatus() {
    const r = await api('GET', '/member/userservice/security/status');
    if (!r.ok) {
      show($('status-msg'), r.msg, true);
      if (r.code === '401') await refreshSession();
      return;
    }
    status = r.data;
    renderStatus();
  }

  function renderStatus() {
    const s = status;
    if (!s) {
      for (const id of ['st-phone', 'st-email', 'st-pay', 'st-password']) $(id).textContent = '';
      return;
    }
    $('st-phone').textContent = s.phoneBound ? s.phone : t('notBound');
    $('st-email').textContent = s.email ? s.email + ' · ' + t(s.emailVerified ? 'verified' : 'unverified') : t('none');
    let pay = t(s.payPasswordSet ? 'set' : 'notSet');
    if (s.payPasswordLocked) pay = t('lockedUntil') + ' ' + fmtTime(s.payPasswordLockedUntil);
    $('st-pay').textContent = pay;
    $('st-password').textContent = fmtTime(s.passwordChangedAt);

    const phoneHeading = $('phone-h');
    phoneHeading.dataset.i18n = s.phoneBound ? 'changePhone' : 'bindPhone';
    phoneHeading.textContent = t(phoneHeading.dataset.i18n);
    setHidden(document.querySelector('#f-phone .old-phone'), !s.phoneBound);
    setHidden($('f-payset'), s.payPasswordSet);
    setHidden($('f-payupdate'), !s.payPasswordSet);
    setHidden($('f-payreset'), !s.payPasswordSet);
  }

  // ---- dev inbox ----

  async function refreshInbox() {
    const r = await api('GET', '/demo/inbox');
    if (r.ok && Array.isArray(r.data)) {
      inbox = r.data;
      renderInbox(false);
    }
  }

  function safeLink(s) {
    try {
      const u = new URL(s);
      return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : '';
    } catch (e) {
      return '';
    }
  }

  function renderInbox(force) {
    const key = inbox.map((m) => m.id).join(',');
    if (!force && key === inboxShown) return;
    inboxShown = key;
    const list = $('inbox');
    list.replaceChildren();
    const purposes = TEXTS[lang].purposes;
    for (const m of inbox) {
      const li = document.createElement('li');
      li.dataset.id = String(m.id);
      li.dataset.purpose = m.purpose;
      li.dataset.to = m.to;
      const head = document.createElement('p');
      head.className = 'head';
      head.textContent = (m.channel === 'sms' ? t('sms') : t('mail')) + ' → ' + m.to + ' · ' + (purposes[m.purpose] || m.purpose) + ' · ' + fmtTime(m.time);
      li.append(head);
      if (m.code) {
        const p = document.createElement('p');
        p.append(t('code') + ' ');
        const code = document.createElement('strong');
        code.className = 'code';
        code.textContent = m.code;
        p.append(code);
        li.append(p);
      }
      const href = m.link ? safeLink(m.link) : '';
      if (href) {
        const a = document.createElement('a');
        a.className = 'link';
        a.href = href;
        a.rel = 'noreferrer';
        a.textContent = t('openLink');
        li.append(a);
      }
      list.append(li);
    }
    setHidden($('inbox-empty'), inbox.length > 0);
  }

  // ---- forms ----

  // After a success, per form; the default shows the form's ok text.
  const after = {
    'f-signin': async (f) => {
      f.reset();
      await refreshSession();
    },
    'f-register': async (f, params, msg) => {
      const r = await api('POST', '/demo/signin', { userId: params.userId, password: params.password });
      if (!r.ok) {
        show(msg, r.msg, true);
        return;
      }
      f.reset();
      await refreshSession();
      show($('status-msg'), t('okRegistered'), false);
    },
    'f-password': async (f) => { f.reset(); await refreshStatus(); },
    'f-phone': async (f) => { f.reset(); await refreshStatus(); },
    'f-payset': async (f) => { f.reset(); await refreshStatus(); },
    'f-payupdate': async (f) => { f.reset(); await refreshStatus(); },
    'f-payreset': async (f) => { f.reset(); await refreshStatus(); },
    'f-mailsend': async () => { await refreshInbox(); },
    'f-mailcode': async (f) => { f.reset(); await refreshStatus(); },
    'f-forgot1': async () => {
      setHidden($('f-forgot2'), false);
      setHidden($('f-forgot3'), true);
      $('fg-code').focus();
      await refreshInbox();
    },
    'f-forgot2': async (f) => {
      f.reset();
      setHidden(f, true);
      setHidden($('f-forgot3'), false);
      $('fg-new').focus();
    },
    'f-forgot3': async (f) => {
      f.reset();
      setHidden(f, true);
      show(document.querySelector('#f-forgot1 .msg'), t('okForgotDone'), false);
      $('signin-user').focus();
    },
  };

  async function submitForm(f) {
    const msg = f.querySelector('.msg');
    const params = {};
    for (const el of f.querySelectorAll('input[name]')) {
      if (el.dataset.copy) el.value = $(el.dataset.copy).value;
      if (el.value !== '') params[el.name] = el.value;
    }
    const button = f.querySelector('button[type=submit]');
    button.disabled = true;
    f.setAttribute('aria-busy', 'true');
    show(msg, '', false);
    try {
      const r = await api(f.dataset.method, f.dataset.path, params);
      if (!r.ok) {
        show(msg, r.msg, true);
        return;
      }
      show(msg, t(f.dataset.ok), false);
      if (after[f.id]) await after[f.id](f, params, msg);
    } finally {
      button.disabled = false;
      f.removeAttribute('aria-busy');
    }
  }

  // sendCode sends an SMS code to the phone in the input a button names
  // (GET /member/userservice/security); the answer shows in its form.
  async function sendCode(button) {
    const input = $(button.dataset.phone);
    const msg = button.closest('form').querySelector('.msg');
    button.disabled = true;
    try {
      const r = await api('GET', '/member/userservice/security', { phone: input.value });
      show(msg, r.ok ? t('okCodeSent') : r.msg, !r.ok);
      if (r.ok) await refreshInbox();
    } finally {
      button.disabled = false;
    }
  }

  function init() {
    for (const f of document.querySelectorAll('form[data-path]')) {
      f.addEventListener('submit', (ev) => {
        ev.preventDefault();
        submitForm(f);
      });
    }
    for (const b of document.querySelectorAll('button.send')) {
      b.addEventListener('click', () => sendCode(b));
    }
    $('signout').addEventListener('click', async () => {
      const r = await api('POST', '/demo/signout');
      if (!r.ok) {
        show($('signout-msg'), r.msg, true);
        return;
      }
      clearMessages();
      await refreshSession();
    });
    $('lang').addEventListener('click', () => {
      lang = lang === 'zh-CN' ? 'en' : 'zh-CN';
      try { localStorage.setItem(LANG_KEY, lang); } catch (e) { /* storage disabled */ }
      applyTexts();
    });
    $('inbox-refresh').addEventListener('click', refreshInbox);
    // The forgot-password and email messages are delivered in the
    // background, so the inbox is polled while the page is visible.
    setInterval(() => { if (!document.hidden) refreshInbox(); }, 1500);
    applyTexts();
    Promise.all([refreshSession(), refreshInbox()]).then(() => document.body.classList.add('ready'));
  }

  init();
})();
