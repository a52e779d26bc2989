// <policy-outreach-panel>: the preferential policies that apply to a customs declaration, shown
// beside a single window's declaration form, with the firm's responses recorded as it clicks.
//
//   <script type="module" src="https://SERVICE/widget/policy-panel.js"></script>
//   <policy-outreach-panel lang="zh"></policy-outreach-panel>
//   panel.tokenProvider = async () => session.token;  panel.present(declaration);
//
// No dependencies and no build step. Its styles live in its shadow root (a constructed style
// sheet, so a host's Content-Security-Policy need not allow inline styles); the host themes it
// through the custom properties listed under :host. It talks to the service's public GraphQL
// API only: `applicablePolicies` when the host presents a declaration, `acknowledgePolicy` when
// the firm responds. It never throws into the host page: failures show a message in the panel
// and reach the host as `policy-error` events.

const STRINGS = {
  zh: {
    region: '适用政策',
    heading: '本次申报适用的政策',
    idle: '保存申报后，这里会列出适用于本次申报的优惠政策。',
    loading: '正在查询适用政策…',
    none: '本次申报暂无适用的优惠政策。',
    count: (n) => `${n} 项适用政策`,
    unavailable: '政策服务暂时无法连接，申报不受影响，请稍后再保存一次。',
    failed: (code) => `未能查询适用政策（${code}）。申报不受影响。`,
    signedOut: '登录已失效，请重新登录单一窗口后再试。',
    isNew: '新',
    autoEnjoy: '免申即享：符合条件自动享受，无需申请',
    deadline: (date, days) =>
      days < 0 ? `申请已于 ${date} 截止` : days === 0 ? `今天（${date}）截止申请` : `${date} 截止申请，还剩 ${days} 天`,
    noDeadline: '长期受理',
    issuer: (name) => `发布：${name}`,
    reasons: (n) => `为什么适用（${n} 项条件）`,
    everyone: '适用于所有申报企业，无附加条件',
    apply: '去申请',
    source: '政策原文',
    documents: '材料',
    paper: '纸质',
    electronic: '电子',
    respond: '您的回应',
    need: '还需要什么？（可选）',
    needHint: '例如：需要申请表模板、不清楚是否适用转口贸易',
    current: (response, comment) => `您的回应：${response}${comment ? `（“${comment}”）` : ''}`,
    recorded: (response) => `已记录：${response}`,
    already: (response) => `已是您的回应：${response}`,
    hidden: '此政策今后不再显示。',
    sending: '正在提交…',
    notRecorded: '未能提交，请再点一次（不会重复记录）。',
    opensNew: '（在新窗口打开）',
    offer: (title) => `新发布的政策可能适用于您：${title}`,
    showOffer: '查看',
    benefit: {
      TAX: '税收', FEE_REDUCTION: '减免收费', CREDIT: '信贷', INSURANCE: '保险',
      SUBSIDY: '补贴', FACILITATION: '便利化', OTHER: '其他',
    },
    response: {
      SEEN: '已读', INTERESTED: '感兴趣', WILL_APPLY: '将申请', APPLIED: '已申请',
      NOT_APPLICABLE: '不适用', DISMISSED: '不再显示',
    },
    outcome: { TRUE: '符合', FALSE: '不符合', UNKNOWN: '待确认' },
  },
  en: {
    region: 'Applicable policies',
    heading: 'Policies for this declaration',
    idle: 'Save the declaration and the preferential policies that apply to it are listed here.',
    loading: 'Looking up the policies that apply…',
    none: 'No preferential policy applies to this declaration.',
    count: (n) => (n === 1 ? '1 policy applies' : `${n} policies apply`),
    unavailable: 'The policy service cannot be reached. Your declaration is not affected; save it again later.',
    failed: (code) => `The policies could not be looked up (${code}). Your declaration is not affected.`,
    signedOut: 'Your session has expired. Sign in to the single window again and retry.',
    isNew: 'New',
    autoEnjoy: 'Granted without application: firms that qualify receive it automatically',
    deadline: (date, days) =>
      days < 0 ? `Applications closed on ${date}` : days === 0 ? `Apply today (${date}) at the latest`
        : `Apply by ${date}, ${days} ${days === 1 ? 'day' : 'days'} left`,
    noDeadline: 'No application deadline',
    issuer: (name) => `Issued by ${name}`,
    reasons: (n) => `Why it applies (${n} ${n === 1 ? 'condition' : 'conditions'})`,
    everyone: 'Open to every firm that files, with no further condition',
    apply: 'Apply',
    source: 'Policy text',
    documents: 'Documents',
    paper: 'paper',
    electronic: 'electronic',
    respond: 'Your response',
    need: 'What do you still need? (optional)',
    needHint: 'For example: an application form template; whether it covers entrepôt trade',
    current: (response, comment) => `Your response: ${response}${comment ? ` (“${comment}”)` : ''}`,
    recorded: (response) => `Recorded: ${response}`,
    already: (response) => `Already your response: ${response}`,
    hidden: 'This policy will not be shown again.',
    sending: 'Sending…',
    notRecorded: 'Not recorded. Click again to retry (it will not be recorded twice).',
    opensNew: '(opens in a new window)',
    offer: (title) => `Newly published and may apply to you: ${title}`,
    showOffer: 'Show',
    benefit: {
      TAX: 'Tax', FEE_REDUCTION: 'Fee reduction', CREDIT: 'Credit', INSURANCE: 'Insurance',
      SUBSIDY: 'Subsidy', FACILITATION: 'Facilitation', OTHER: 'Other',
    },
    response: {
      SEEN: 'Seen', INTERESTED: 'Interested', WILL_APPLY: 'Will apply', APPLIED: 'Applied',
      NOT_APPLICABLE: 'Not applicable', DISMISSED: "Don't show again",
    },
    outcome: { TRUE: 'met', FALSE: 'not met', UNKNOWN: 'to be confirmed' },
  },
};

/** The responses a firm can give from the panel, in the order they are offered. */
const RESPONSES = ['INTERESTED', 'WILL_APPLY', 'NOT_APPLICABLE', 'DISMISSED'];

const PRESENT = `query PolicyPanelPresent($declaration: DeclarationInput!) {
  applicablePolicies(declaration: $declaration) {
    isNew
    policy {
      id code version title summary benefitKind applyDeadline applyUrl autoEnjoy sourceUrl
      leadIssuer { code name }
      documents { title url kind }
    }
    reasons { text outcome }
    delivery { id }
    acknowledgement { id response comment policyVersion createdAt }
  }
}`;

const ACKNOWLEDGE = `mutation PolicyPanelAcknowledge($input: AcknowledgementInput!) {
  acknowledgePolicy(input: $input) { id response comment policyVersion createdAt }
}`;

const CSS = `
:host {
  all: initial;
  display: block;
  box-sizing: border-box;
  font-family: var(--po-font, system-ui, -apple-system, "Segoe UI", "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", "WenQuanYi Micro Hei", sans-serif);
  font-size: var(--po-font-size, 14px);
  line-height: 1.5;
  color: var(--po-text, #1f2328);
  --accent: var(--po-accent, #0b5cad);
  --muted: var(--po-muted, #59636e);
  --line: var(--po-border, #d0d7de);
  --surface: var(--po-surface, #ffffff);
  --soft: var(--po-soft, #f3f6f9);
  --focus: var(--po-focus, #0b5cad);
}
:host([hidden]) { display: none; }
*, *::before, *::after { box-sizing: border-box; }
section { background: var(--surface); border: 1px solid var(--line); border-radius: 8px; padding: 12px; }
h2 { font-size: 1.1em; margin: 0 0 4px; }
h3 { font-size: 1em; margin: 0; }
p { margin: 0; }
.status { color: var(--muted); margin: 0 0 8px; min-height: 1.5em; }
.status.problem { color: #8a1c1c; }
ol { list-style: none; margin: 0; padding: 0; display: grid; gap: 10px; }
article { border: 1px solid var(--line); border-radius: 6px; padding: 10px; background: var(--surface); }
article.dismissed { background: var(--soft); color: var(--muted); }
.tags { display: flex; flex-wrap: wrap; gap: 4px; margin-top: 4px; }
.tag { font-size: 0.85em; border-radius: 999px; padding: 0 8px; background: var(--soft); border: 1px solid var(--line); }
.tag.new { background: #fff4d6; border-color: #e3c26b; }
.tag.auto { background: #e6f4ea; border-color: #8cc79c; }
.summary { margin-top: 6px; }
.meta { color: var(--muted); font-size: 0.92em; margin-top: 4px; }
.meta.soon { color: #8a4b00; font-weight: 600; }
button {
  font: inherit; color: inherit; cursor: pointer; border-radius: 6px;
  border: 1px solid var(--line); background: var(--surface); padding: 4px 10px; min-height: 32px;
}
button:hover { border-color: var(--accent); }
button[aria-pressed="true"] { background: var(--accent); border-color: var(--accent); color: #fff; }
button[aria-disabled="true"] { opacity: 0.6; cursor: progress; }
button.disclosure { display: block; border: none; background: none; padding: 4px 0; color: var(--accent); min-height: 0; text-align: start; }
button.disclosure::before { content: "▸ "; }
button.disclosure[aria-expanded="true"]::before { content: "▾ "; }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
a { color: var(--accent); }
ul.reasons { margin: 4px 0 0; padding-left: 1.2em; }
ul.reasons li.FALSE { color: #8a1c1c; }
ul.reasons li.UNKNOWN { color: var(--muted); }
.links { display: flex; flex-wrap: wrap; gap: 4px 12px; margin-top: 6px; }
.links ul { margin: 0; padding-left: 1.2em; }
.respond { display: flex; flex-wrap: wrap; gap: 6px; margin-top: 8px; border: none; padding: 0; }
label { display: block; margin-top: 6px; }
textarea {
  display: block; width: 100%; min-height: 3.2em; margin-top: 4px; font: inherit; color: inherit;
  border: 1px solid var(--line); border-radius: 6px; padding: 4px 6px; resize: vertical; background: var(--surface);
}
.said { margin-top: 6px; font-size: 0.92em; }
.said.problem { color: #8a1c1c; }
.offer { display: flex; gap: 8px; align-items: center; justify-content: space-between; margin: 0 0 8px; padding: 6px 8px; border-radius: 6px; background: #fff4d6; border: 1px solid #e3c26b; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
`;

let sheet = null;

/** The panel's style sheet, made once and adopted by every panel on the page. */
function styles() {
  if (!sheet) {
    sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
  }
  return sheet;
}

/** An element with attributes (`on…` functions become listeners) and children. */
function h(tag, attributes = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      el.addEventListener(name.slice(2), value);
    } else if (name === 'text') {
      el.textContent = value;
    } else {
      el.setAttribute(name, value === true ? '' : String(value));
    }
  }
  el.append(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
  return el;
}

/** A random idempotency key (crypto.getRandomValues works outside secure contexts too). */
function newKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return `panel-${[...bytes].map((b) => b.toString(16).padStart(2, '0')).join('')}`;
}

/** Days from today (the browser's calendar) to `date` (YYYY-MM-DD). */
function daysUntil(date) {
  const [y, m, d] = date.split('-').map(Number);
  const now = new Date();
  const today = Date.UTC(now.getFullYear(), now.getMonth(), now.getDate());
  return Math.round((Date.UTC(y, m - 1, d) - today) / 86_400_000);
}

/** A failure the host hears about: a stable code and a message. */
class PanelError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

const UNAVAILABLE = 'SERVICE_UNAVAILABLE';

let serial = 0;

class PolicyOutreachPanel extends HTMLElement {
  static observedAttributes = ['lang', 'endpoint'];

  #root;
  #tokenProvider = null;
  /** The declaration last presented, and what the service answered for it. */
  #declaration = null;
  #matches = [];
  /** idle | loading | shown | unavailable | failed | signed-out | hidden */
  #state = 'idle';
  #problem = null;
  /** Which present() answer is current: a later call wins over an earlier slower one. */
  #asked = 0;
  /** Per policy id: the response being sent, or the last one that failed (reused on retry). */
  #pending = new Map();
  /** Per policy id: what the card says about its response ("recorded", "not recorded"). */
  #said = new Map();
  /** Disclosures open, by id, kept across re-renders. */
  #open = new Set();
  /** Comments typed and not yet sent, by policy id. */
  #drafts = new Map();
  #id = `po${++serial}`;
  /** Policies published while the panel is open that the firm may qualify for, by id. */
  #offers = new Map();
  /** The connection that hears of them (`inboxChanged`), once a presentation succeeded. */
  #inbox = null;

  constructor() {
    super();
    this.#root = this.attachShadow({ mode: 'open' });
    this.#root.adoptedStyleSheets = [styles()];
  }

  connectedCallback() {
    this.#render();
  }

  disconnectedCallback() {
    this.#inbox?.stop();
    this.#inbox = null;
  }

  attributeChangedCallback() {
    if (this.isConnected) this.#render();
  }

  /** An async function giving the caller's bearer token; asked before each call, and once again
   * after a 401. */
  set tokenProvider(provider) {
    this.#tokenProvider = typeof provider === 'function' ? provider : null;
  }

  get tokenProvider() {
    return this.#tokenProvider;
  }

  /** What the panel shows now, as the service answered (`PolicyMatch` objects). */
  get matches() {
    return structuredClone(this.#matches);
  }

  /** The GraphQL endpoint: the `endpoint` attribute, else `/graphql` beside this script. */
  get #endpoint() {
    const given = this.getAttribute('endpoint');
    return new URL(given || '/graphql', given ? document.baseURI : import.meta.url).href;
  }

  get #lang() {
    const own = this.getAttribute('lang') || document.documentElement.lang || '';
    return own.toLowerCase().startsWith('en') ? 'en' : 'zh';
  }

  get #t() {
    return STRINGS[this.#lang];
  }

  /**
   * Shows the policies that apply to `declaration` (a `DeclarationInput`: id, firmUscc,
   * direction, tradeMode, country, port, items, valueUsd) and records their presentation. Call it
   * when the declaration is saved or about to be submitted, not on every keystroke. Resolves to
   * the matches shown, or to null when the service could not answer (the panel says why and a
   * `policy-error` event carries the code); it never rejects.
   */
  async present(declaration) {
    const asked = ++this.#asked;
    this.#declaration = declaration ? structuredClone(declaration) : null;
    this.#state = 'loading';
    this.#render();
    try {
      const data = await this.#call(PRESENT, { declaration: this.#declaration });
      if (asked !== this.#asked) return null;
      this.#matches = data.applicablePolicies ?? [];
      // Offers end with the next presentation: what applies to this declaration is shown now.
      this.#offers.clear();
      this.#state = 'shown';
      // Answers still on their way stay (they land on the new cards); a failed one is not
      // retried for another declaration.
      for (const [id, attempt] of this.#pending) {
        if (!attempt.sending) this.#pending.delete(id);
      }
      this.#said.clear();
      this.#render();
      this.#watchInbox();
      this.#emit('policies-presented', {
        declarationId: this.#declaration?.id ?? null,
        firmUscc: this.#declaration?.firmUscc ?? null,
        policies: this.matches,
      });
      return this.matches;
    } catch (error) {
      if (asked !== this.#asked) return null;
      this.#matches = [];
      this.#fail(error, 'present', null);
      return null;
    }
  }

  /** Shows nothing until the next `present`. */
  clear() {
    this.#asked++;
    this.#declaration = null;
    this.#matches = [];
    this.#state = 'idle';
    this.#render();
  }

  /**
   * Hears of policies published while the panel is open that the firm qualifies for, or may
   * (`inboxChanged` over the service's WebSocket, with the host's token), and offers each until
   * the next presentation shows it. Only a firm has an inbox: for anyone else the service says
   * FORBIDDEN and the panel stops listening. A connection that ends otherwise is opened again.
   */
  #watchInbox() {
    if (this.#inbox || typeof WebSocket === 'undefined') return;
    const url = new URL(this.#endpoint);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    url.pathname = `${url.pathname.replace(/\/$/, '')}/ws`;
    let socket = null;
    let stopped = false;
    let wait = 1000;
    const connect = async () => {
      let token = null;
      try {
        token = this.#tokenProvider ? await this.#tokenProvider({ retry: false }) : null;
      } catch {
        return;
      }
      if (stopped) return;
      socket = new WebSocket(url, 'graphql-transport-ws');
      socket.addEventListener('open', () => socket.send(JSON.stringify({
        type: 'connection_init',
        payload: {
          'Accept-Language': this.#lang === 'en' ? 'en' : 'zh-CN',
          ...(token ? { Authorization: `Bearer ${token}` } : {}),
        },
      })));
      socket.addEventListener('message', (event) => {
        let message;
        try {
          message = JSON.parse(event.data);
        } catch {
          return;
        }
        if (message.type === 'connection_ack') {
          wait = 1000;
          socket.send(JSON.stringify({
            id: 'inbox', type: 'subscribe',
            payload: { query: 'subscription { inboxChanged { certain policy { id code title } } }' },
          }));
        } else if (message.type === 'ping') {
          socket.send(JSON.stringify({ type: 'pong' }));
        } else if (message.type === 'next' && message.payload?.errors?.length) {
          stopped = true;
          socket.close(1000);
        } else if (message.type === 'next' && message.payload?.data?.inboxChanged) {
          const offer = message.payload.data.inboxChanged;
          if (this.#matches.some((m) => m.policy.id === offer.policy.id)) return;
          this.#offers.set(offer.policy.id, offer);
          this.#render();
          this.#emit('policy-offered', { policyId: offer.policy.id, code: offer.policy.code, certain: offer.certain });
        }
      });
      socket.addEventListener('error', () => {});
      socket.addEventListener('close', (event) => {
        if (stopped || event.code === 4403) return;
        setTimeout(() => { if (!stopped) connect(); }, wait);
        wait = Math.min(wait * 2, 30000);
      });
    };
    this.#inbox = { stop() { stopped = true; socket?.close(1000); } };
    connect();
  }

  #fail(error, operation, policyId) {
    const code = error instanceof PanelError ? error.code : 'INTERNAL';
    const message = error?.message || code;
    if (operation === 'present') {
      this.#problem = code;
      // A firm the service does not know shows nothing at all: the host decides what to say.
      this.#state = code === UNAVAILABLE ? 'unavailable'
        : code === 'UNAUTHENTICATED' ? 'signed-out'
          : code === 'NOT_FOUND' ? 'hidden' : 'failed';
      this.#render();
    }
    this.#emit('policy-error', { code, message, operation, policyId });
  }

  #emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
  }

  /** One GraphQL operation; resolves to its data or rejects with a PanelError. */
  async #call(query, variables) {
    let response = await this.#post(query, variables, false);
    if (response.status === 401 && this.#tokenProvider) {
      response = await this.#post(query, variables, true);
    }
    let body;
    try {
      body = await response.json();
    } catch {
      throw new PanelError(response.status >= 500 ? UNAVAILABLE : `HTTP_${response.status}`,
        `${response.status} ${response.statusText}`);
    }
    const first = body?.errors?.[0];
    if (first) {
      throw new PanelError(first.extensions?.code ?? (response.status === 401 ? 'UNAUTHENTICATED' : 'INTERNAL'),
        first.message ?? 'error');
    }
    if (!response.ok || !body?.data) {
      throw new PanelError(response.status >= 500 ? UNAVAILABLE : `HTTP_${response.status}`,
        `${response.status} ${response.statusText}`);
    }
    return body.data;
  }

  async #post(query, variables, again) {
    const headers = {
      'Content-Type': 'application/json',
      Accept: 'application/json',
      'Accept-Language': this.#lang === 'en' ? 'en' : 'zh-CN',
    };
    if (this.#tokenProvider) {
      let token;
      try {
        token = await this.#tokenProvider({ retry: again });
      } catch (error) {
        throw new PanelError('UNAUTHENTICATED', `the token provider failed: ${error?.message ?? error}`);
      }
      if (token) headers.Authorization = `Bearer ${token}`;
    }
    try {
      return await fetch(this.#endpoint, {
        method: 'POST',
        mode: 'cors',
        credentials: 'omit',
        headers,
        body: JSON.stringify({ query, variables }),
      });
    } catch (error) {
      // Refused by the network, the service down, or a CORS refusal: the browser does not say
      // which, and neither can the panel.
      throw new PanelError(UNAVAILABLE, `the policy service cannot be reached: ${error?.message ?? error}`);
    }
  }

  /** The match shown now for `policyId`: a later `present` replaces the objects. */
  #current(policyId) {
    return this.#matches.find((m) => m.policy.id === policyId) ?? null;
  }

  /** The firm's response to one policy, from its card. */
  async #respond(policyId, response) {
    const match = this.#current(policyId);
    if (!match) return;
    const policy = match.policy;
    const pending = this.#pending.get(policyId);
    if (pending?.sending) return; // one request per card at a time: a second click is the same click
    const comment = (this.#drafts.get(policyId) ?? '').trim();
    const latest = match.acknowledgement;
    // The same answer again, with nothing new to add, is not a new acknowledgement.
    if (latest && latest.response === response && latest.policyVersion === policy.version
      && (comment === '' || comment === (latest.comment ?? ''))) {
      this.#said.set(policyId, { text: this.#t.already(this.#t.response[response]) });
      this.#renderCard(match);
      return;
    }
    const input = {
      policyId,
      firmUscc: this.#declaration?.firmUscc ?? null,
      response,
      comment: comment || null,
      declarationId: this.#declaration?.id ?? null,
    };
    // A click that failed, made again with the same answer, is a retry: the same key, so the
    // service records it once even if the first attempt reached it.
    const same = pending && JSON.stringify(pending.input) === JSON.stringify(input);
    const attempt = { input, key: same ? pending.key : newKey(), sending: true };
    this.#pending.set(policyId, attempt);
    this.#said.set(policyId, { text: this.#t.sending });
    this.#renderCard(match);
    try {
      const data = await this.#call(ACKNOWLEDGE, { input: { ...input, idempotencyKey: attempt.key } });
      const acknowledgement = data.acknowledgePolicy;
      this.#pending.delete(policyId);
      this.#drafts.delete(policyId);
      const shown = this.#current(policyId);
      if (shown) {
        shown.acknowledgement = acknowledgement;
        this.#said.set(policyId, {
          text: response === 'DISMISSED' ? this.#t.hidden : this.#t.recorded(this.#t.response[response]),
        });
        this.#renderCard(shown);
      }
      this.#emit('policy-acknowledged', {
        policyId,
        code: policy.code,
        version: policy.version,
        response,
        comment: input.comment,
        declarationId: input.declarationId,
        acknowledgement: structuredClone(acknowledgement),
      });
    } catch (error) {
      attempt.sending = false;
      const shown = this.#current(policyId);
      if (shown) {
        this.#said.set(policyId, { text: this.#t.notRecorded, problem: true });
        this.#renderCard(shown);
      }
      this.#fail(error, 'acknowledge', policyId);
    }
  }

  #render() {
    const t = this.#t;
    const headingId = `${this.#id}-heading`;
    const status = {
      idle: t.idle,
      loading: t.loading,
      shown: this.#matches.length ? t.count(this.#matches.length) : t.none,
      unavailable: t.unavailable,
      failed: t.failed(this.#problem),
      'signed-out': t.signedOut,
      hidden: '',
    }[this.#state];
    const problem = ['unavailable', 'failed', 'signed-out'].includes(this.#state);
    const focused = this.#root.activeElement?.id;
    const section = h('section', {
      role: 'region',
      'aria-labelledby': headingId,
      'aria-busy': this.#state === 'loading' ? 'true' : 'false',
      'data-state': this.#state,
      lang: this.#lang === 'en' ? 'en' : 'zh-CN',
    },
    h('h2', { id: headingId, text: t.heading }),
    h('p', { class: problem ? 'status problem' : 'status', role: problem ? 'alert' : 'status', text: status }),
    [...this.#offers.values()].map((offer) => h('div', { class: 'offer', role: 'status', 'data-offer': offer.policy.code },
      h('span', { text: t.offer(offer.policy.title) }),
      h('button', {
        type: 'button', id: `${this.#id}-offer-${offer.policy.id}`,
        onclick: () => this.#declaration && this.present(this.#declaration),
        text: t.showOffer,
      }))),
    this.#state === 'shown' && this.#matches.length
      ? h('ol', {}, this.#matches.map((m) => h('li', { 'data-policy': m.policy.id }, this.#card(m))))
      : null);
    this.hidden = this.#state === 'hidden';
    this.#root.replaceChildren(section);
    if (focused) this.#root.getElementById(focused)?.focus();
  }

  #renderCard(match) {
    const li = [...this.#root.querySelectorAll('li[data-policy]')].find((el) => el.dataset.policy === match.policy.id);
    if (!li) return;
    const focused = this.#root.activeElement?.id;
    li.replaceChildren(this.#card(match));
    if (focused) this.#root.getElementById(focused)?.focus();
  }

  #card(match) {
    const t = this.#t;
    const p = match.policy;
    const base = `${this.#id}-${p.id}`;
    const latest = match.acknowledgement?.policyVersion === p.version ? match.acknowledgement : null;
    const pending = this.#pending.get(p.id);
    const said = this.#said.get(p.id);
    const reasonsOpen = this.#open.has(`${base}-reasons`);
    const needOpen = this.#open.has(`${base}-need`);
    const toggle = (id) => () => {
      if (this.#open.has(id)) this.#open.delete(id);
      else this.#open.add(id);
      this.#renderCard(match);
    };
    const days = p.applyDeadline ? daysUntil(p.applyDeadline) : null;
    const date = p.applyDeadline ? this.#date(p.applyDeadline) : null;
    const newWindow = h('span', { class: 'visually-hidden', text: t.opensNew });
    return h('article', {
      'aria-labelledby': `${base}-title`,
      class: latest?.response === 'DISMISSED' ? 'dismissed' : null,
      'data-code': p.code,
    },
    h('h3', { id: `${base}-title`, text: p.title }),
    h('div', { class: 'tags' },
      h('span', { class: 'tag kind', text: t.benefit[p.benefitKind] ?? p.benefitKind }),
      match.isNew ? h('span', { class: 'tag new', text: t.isNew }) : null,
      p.autoEnjoy ? h('span', { class: 'tag auto', text: t.autoEnjoy }) : null),
    p.summary ? h('p', { class: 'summary', text: p.summary }) : null,
    h('p', {
      class: days !== null && days >= 0 && days <= 14 ? 'meta deadline soon' : 'meta deadline',
      'data-days': days ?? null,
      text: p.applyDeadline ? t.deadline(date, days) : t.noDeadline,
    }),
    p.leadIssuer ? h('p', { class: 'meta', text: t.issuer(p.leadIssuer.name) }) : null,
    // A rule with no condition (and no region scope) has nothing to unfold.
    match.reasons.length ? [
      h('button', {
        type: 'button', class: 'disclosure reasons-toggle', id: `${base}-reasons-button`,
        'aria-expanded': reasonsOpen ? 'true' : 'false', 'aria-controls': `${base}-reasons`,
        onclick: toggle(`${base}-reasons`), text: t.reasons(match.reasons.length),
      }),
      h('ul', { class: 'reasons', id: `${base}-reasons`, hidden: !reasonsOpen },
        match.reasons.map((r) => h('li', { class: r.outcome, text: r.text }))),
    ] : h('p', { class: 'meta everyone', text: t.everyone }),
    this.#links(p, newWindow),
    // What the firm still needs comes first: it is sent with the response clicked next.
    h('button', {
      type: 'button', class: 'disclosure need-toggle', id: `${base}-need-button`,
      'aria-expanded': needOpen ? 'true' : 'false', 'aria-controls': `${base}-need`,
      onclick: toggle(`${base}-need`), text: t.need,
    }),
    h('div', { id: `${base}-need`, hidden: !needOpen },
      h('label', { for: `${base}-comment`, class: 'visually-hidden', text: t.need }),
      h('textarea', {
        id: `${base}-comment`, maxlength: 2000, placeholder: t.needHint,
        text: this.#drafts.get(p.id) ?? '',
        oninput: (event) => this.#drafts.set(p.id, event.target.value),
      })),
    h('div', { class: 'respond', role: 'group', 'aria-label': t.respond },
      RESPONSES.map((response) => h('button', {
        type: 'button',
        id: `${base}-${response}`,
        'data-response': response,
        'aria-pressed': latest?.response === response ? 'true' : 'false',
        'aria-disabled': pending?.sending ? 'true' : null,
        onclick: () => this.#respond(p.id, response),
        text: t.response[response],
      }))),
    h('p', {
      class: said?.problem ? 'said problem' : 'said',
      role: said?.problem ? 'alert' : 'status',
      text: said?.text ?? (latest ? t.current(t.response[latest.response] ?? latest.response, latest.comment) : ''),
    }));
  }

  #links(p, newWindow) {
    const t = this.#t;
    const docs = p.documents ?? [];
    if (!p.applyUrl && !p.sourceUrl && !docs.length) return null;
    const link = (href, text) => h('a', { href, target: '_blank', rel: 'noopener noreferrer' }, text, newWindow.cloneNode(true));
    return h('div', { class: 'links' },
      p.applyUrl && !p.autoEnjoy ? link(p.applyUrl, t.apply) : null,
      p.sourceUrl ? link(p.sourceUrl, t.source) : null,
      docs.length ? h('div', {},
        h('span', { text: `${t.documents}:` }),
        h('ul', {}, docs.map((d) => h('li', {}, link(d.url, d.title),
          ` (${d.kind === 'PAPER' ? t.paper : t.electronic})`)))) : null);
  }

  #date(iso) {
    const [y, m, d] = iso.split('-').map(Number);
    return new Intl.DateTimeFormat(this.#lang === 'en' ? 'en-GB' : 'zh-CN', {
      year: 'numeric', month: 'short', day: 'numeric', timeZone: 'UTC',
    }).format(new Date(Date.UTC(y, m - 1, d)));
  }
}

if (!customElements.get('policy-outreach-panel')) {
  customElements.define('policy-outreach-panel', PolicyOutreachPanel);
}
