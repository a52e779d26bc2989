// The demo single window: a mock declaration form with the policy panel beside it. It does what
// a real single-window frontend does: hands the panel a token provider, calls present() when
// the declaration is saved or declared, and listens to the panel's events.

const KEY = 'po.widget.token';
const LANG = 'po.widget.lang';
const panel = document.getElementById('panel');
const form = document.getElementById('declaration');
const items = document.getElementById('items');
const events = document.getElementById('events');
const panelScript = document.querySelector('script[data-panel]');
const endpoint = new URL('/graphql', panelScript ? panelScript.src : location.href).href;

function token() {
  return sessionStorage.getItem(KEY);
}

function lang() {
  return localStorage.getItem(LANG) === 'en' ? 'en' : 'zh';
}

/** The page's own words in the chosen language: `data-en` holds the English, `data-zh` keeps the
 * Chinese it started with. */
function translate() {
  const en = lang() === 'en';
  document.documentElement.lang = en ? 'en' : 'zh-CN';
  for (const el of document.querySelectorAll('[data-en]')) {
    if (el.dataset.zh === undefined) el.dataset.zh = el.textContent;
    el.textContent = en ? el.dataset.en : el.dataset.zh;
  }
  const toggle = document.getElementById('lang-switch');
  toggle.textContent = en ? '中文' : 'English';
  toggle.lang = en ? 'zh-CN' : 'en';
  panel.setAttribute('lang', en ? 'en' : 'zh');
}

function newDeclarationId() {
  const day = new Date().toISOString().slice(0, 10).replaceAll('-', '');
  const bytes = crypto.getRandomValues(new Uint8Array(4));
  return `DEMO-${day}-${[...bytes].map((b) => b.toString(16).padStart(2, '0')).join('')}`;
}

function addItem(hsCode = '', valueUsd = '') {
  const row = document.createElement('tr');
  const n = items.children.length + 1;
  const cell = (input, label) => {
    const td = document.createElement('td');
    input.setAttribute('aria-label', `${label} ${n}`);
    td.append(input);
    return td;
  };
  const hs = Object.assign(document.createElement('input'), { value: hsCode, inputMode: 'numeric', maxLength: 10 });
  hs.className = 'hs';
  const value = Object.assign(document.createElement('input'), { value: valueUsd, type: 'number', min: '0', step: 'any' });
  value.className = 'value';
  const remove = Object.assign(document.createElement('button'), { type: 'button', textContent: '×' });
  remove.className = 'remove';
  remove.setAttribute('aria-label', `${lang() === 'en' ? 'Remove goods' : '删除商品'} ${n}`);
  remove.addEventListener('click', () => {
    row.remove();
    document.getElementById('add-item').focus();
  });
  row.append(cell(hs, 'HS'), cell(value, 'US$'), Object.assign(document.createElement('td'), {}));
  row.lastChild.append(remove);
  items.append(row);
  return hs;
}

/** The form as a `DeclarationInput`, or a problem naming the field. */
function declaration() {
  const field = (id) => document.getElementById(id).value.trim();
  const firmUscc = field('firm').toUpperCase();
  if (!/^[0-9A-HJ-NPQRTUWXY]{18}$/.test(firmUscc)) {
    return { problem: lang() === 'en' ? 'The consignor needs its 18-character USCC.' : '请填写 18 位统一社会信用代码。', focus: 'firm' };
  }
  const goods = [];
  for (const row of items.children) {
    const hsCode = row.querySelector('.hs').value.trim();
    const value = row.querySelector('.value').value.trim();
    if (!hsCode && !value) continue;
    if (!/^\d{2,10}$/.test(hsCode)) {
      return { problem: lang() === 'en' ? 'An HS code has 2 to 10 digits.' : '商品编号应为 2 至 10 位数字。', focus: row.querySelector('.hs') };
    }
    goods.push({ hsCode, valueUsd: value === '' ? null : Number(value) });
  }
  return {
    declaration: {
      id: field('decl-id') || null,
      firmUscc,
      direction: form.elements.direction.value,
      tradeMode: field('trade-mode') || null,
      country: field('country') || null,
      port: field('port') || null,
      items: goods,
    },
  };
}

async function present(why) {
  const problem = document.getElementById('form-problem');
  const made = declaration();
  if (made.problem) {
    problem.textContent = made.problem;
    (typeof made.focus === 'string' ? document.getElementById(made.focus) : made.focus).focus();
    return;
  }
  problem.textContent = '';
  const status = document.getElementById('form-status');
  status.textContent = why === 'declare'
    ? (lang() === 'en' ? 'Declared (demo: nothing was sent to customs).' : '已申报（演示：未发送给海关）。')
    : (lang() === 'en' ? 'Saved.' : '已暂存。');
  if (typeof panel.present !== 'function') {
    status.textContent += lang() === 'en' ? ' The policy panel did not load.' : ' 政策面板未能加载。';
    return;
  }
  await panel.present(made.declaration);
}

function log(event) {
  const li = document.createElement('li');
  const detail = { ...event.detail };
  if (Array.isArray(detail.policies)) detail.policies = detail.policies.map((m) => m.policy.code);
  li.textContent = `${new Date().toLocaleTimeString()} ${event.type} ${JSON.stringify(detail)}`;
  li.dataset.type = event.type;
  events.prepend(li);
  while (events.children.length > 20) events.lastChild.remove();
}

async function who() {
  const el = document.getElementById('who');
  const signin = document.getElementById('signin');
  if (!token()) {
    el.textContent = '';
    signin.hidden = false;
    return;
  }
  signin.hidden = true;
  try {
    const response = await fetch(endpoint, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token()}` },
      body: JSON.stringify({ query: '{ me { role subject firm { uscc name } } }' }),
    });
    const body = await response.json();
    const me = body.data?.me;
    if (!me) throw new Error(body.errors?.[0]?.message ?? response.statusText);
    el.textContent = `${me.role} · ${me.firm ? `${me.firm.name} ${me.firm.uscc}` : me.subject}`;
    const firm = document.getElementById('firm');
    if (!firm.value && me.role === 'FIRM' && me.firm) firm.value = me.firm.uscc;
  } catch (error) {
    el.textContent = lang() === 'en' ? 'The policy service cannot be reached.' : '无法连接政策服务。';
  }
}

function start() {
  // A `#token=…&firm=…` link (printed by serve --demo) signs in; the fragment leaves the address bar.
  const fragment = new URLSearchParams(location.hash.slice(1));
  if (fragment.get('token')) sessionStorage.setItem(KEY, fragment.get('token'));
  if (fragment.get('firm')) document.getElementById('firm').value = fragment.get('firm');
  if (location.hash) history.replaceState(null, '', location.pathname + location.search);

  panel.tokenProvider = async () => token();
  for (const type of ['policies-presented', 'policy-acknowledged', 'policy-error', 'policy-offered']) {
    panel.addEventListener(type, log);
  }
  document.getElementById('decl-id').value = newDeclarationId();
  addItem('8501', '120000');
  translate();
  who();

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    present('save');
  });
  document.getElementById('declare').addEventListener('click', () => present('declare'));
  document.getElementById('add-item').addEventListener('click', () => addItem().focus());
  document.getElementById('use-token').addEventListener('click', () => {
    const value = document.getElementById('token').value.trim();
    if (value) sessionStorage.setItem(KEY, value);
    who();
  });
  document.getElementById('lang-switch').addEventListener('click', () => {
    localStorage.setItem(LANG, lang() === 'en' ? 'zh' : 'en');
    translate();
  });
}

start();
