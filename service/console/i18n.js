// The console's words in Chinese (the default) and English; the choice is kept in localStorage.

const WORDS = {
  zh: {
    brand: '政策触达', skip: '跳到正文', signOut: '退出', switchLang: 'English',
    signInTitle: '登录部门控制台',
    signInHelp: '粘贴单一窗口身份服务签发的令牌（JWT）。令牌只保存在本标签页的会话存储中。',
    token: '令牌', signIn: '登录', signedOut: '登录已失效，请重新登录。',
    signedInAs: '当前身份', department: '部门', pickDepartment: '选择部门',
    overview: '政策总览', from: '起始日期', to: '截止日期', apply: '应用', clear: '清除',
    policy: '政策', code: '编号', status: '状态', audience: '受众', reached: '已触达',
    acknowledged: '已回应', reachRate: '触达率', acknowledgeRate: '回应率', willApply: '将申请',
    applied: '已申请', totals: '合计', policies: '项政策', reachedFirms: '触达企业（去重）',
    acknowledgedFirms: '回应企业（去重）', noPolicies: '该部门还没有政策。', loading: '加载中…',
    sortBy: '排序', back: '返回总览', funnel: '触达漏斗', byChannel: '按渠道',
    channel: '渠道', byRegion: '按地市', region: '地区', daily: '每日趋势', deliveries: '推送次数',
    newlyReached: '新触达企业', acknowledgements: '回应', medianHours: '回应时长中位数（小时）',
    live: '实时', liveHelp: '有新的申报或回应时，数字会自动更新',
    brokers: '报关行杠杆', broker: '报关行', clients: '委托企业', unreachedClients: '未触达委托企业',
    unreached: '未触达企业', stage: '阶段', NOT_REACHED: '从未推送', NOT_ACKNOWLEDGED: '已推送未回应',
    uscc: '统一社会信用代码', name: '名称', brokersOf: '报关行', more: '加载更多',
    downloadCsv: '下载 CSV', needs: '企业诉求', comments: '留言', firms: '企业', term: '词语',
    share: '占比', examples: '示例', allComments: '全部留言', filteredBy: '筛选词语',
    response: '回应', time: '时间', firmLookup: '企业查询', lookup: '查询', decision: '判定记录',
    version: '版本', outcome: '结果', evaluatedOn: '判定日期', reasons: '理由', facts: '事实',
    impressions: '展示次数', actor: '操作者', noDeliveries: '该企业没有收到此政策的推送。',
    none: '无', error: '出错了', notFound: '未找到', byResponse: '按回应',
    SINGLE_WINDOW: '单一窗口', BROKER: '报关行', SMS: '短信', WECHAT: '微信', PAPER: '纸质',
    EMAIL: '邮件', OTHER: '其他',
    DRAFT: '草稿', PUBLISHED: '已发布', RETIRED: '已下线',
    SEEN: '已读', INTERESTED: '感兴趣', WILL_APPLY: '将申请', APPLIED: '已申请',
    NOT_APPLICABLE: '不适用', DISMISSED: '不再显示',
    TRUE: '符合', FALSE: '不符合', UNKNOWN: '待定',
    FIRM: '企业', DEPARTMENT: '部门', SYSTEM: '系统', ADMIN: '管理员', ANONYMOUS: '匿名',
    forbidden: '无权查看：部门控制台供政策发布部门、系统与管理员使用。',
    'firm.region': '企业注册地', 'firm.size': '企业规模', 'firm.industry': '行业（GB/T 4754）',
    'firm.customsCredit': '海关信用等级', 'firm.exportValuePrevYearUsd': '上年出口额（美元）',
    'firm.importValuePrevYearUsd': '上年进口额（美元）', 'firm.foreignInvested': '外商投资企业',
    'firm.registeredOn': '注册日期', 'declaration.direction': '进出口方向', 'declaration.tradeMode': '贸易方式',
    'declaration.port': '口岸', 'declaration.country': '贸易国（地区）', 'declaration.hsCode': '商品编码（HS）',
    'declaration.valueUsd': '申报货值（美元）',
    'op.eq': '等于', 'op.in': '属于其一', 'op.within': '位于', 'op.lt': '小于', 'op.lte': '不超过', 'op.gt': '大于',
    'op.gte': '不少于', 'op.between': '介于（含两端）', 'op.prefix': '以此开头',
    activeLast30Days: '近30天申报', reachableViaBroker: '可经报关行触达', estimateBlocked: '规则有误，暂无法估算受众。',
    editDraft: '编辑草稿', newVersion: '编辑（生成新版本）', newPolicy: '新建政策', eligibility: '适用条件',
    saveDraft: '保存草稿', group: '条件组', group_all: '全部满足', group_any: '满足任一', group_not: '不满足',
    remove: '删除', addCondition: '添加条件', addGroup: '添加条件组', fact: '事实', operator: '运算', value: '值',
    titleZh: '标题（中文）', titleEn: '标题（英文）', summaryZh: '摘要（中文）', summaryEn: '摘要（英文）',
    benefitKind: '优惠类型', regions: '适用地区（区划代码，逗号分隔；空为全国）', coIssuers: '联合发文部门（代码）',
    sourceUrl: '原文链接', bodyZh: '正文（中文，Markdown）', bodyEn: '正文（英文，Markdown）', effectiveFrom: '生效日期', effectiveTo: '失效日期', applyDeadline: '申请截止', applyUrl: '申请链接', autoEnjoy: '免申即享',
    TAX: '税收', FEE_REDUCTION: '减免收费', CREDIT: '信贷', INSURANCE: '保险', SUBSIDY: '补贴', FACILITATION: '便利化',
    publish: '发布', retire: '下线', confirm: '确定', cancel: '取消', confirmPublish: '发布后，符合条件的企业在申报时即可看到此政策。确定发布？',
    confirmRetire: '下线后企业将不再看到此政策。确定下线？', retireReason: '原因', history: '版本与操作记录', audit: '操作记录',
    publishedAt: '发布时间', createdAt: '创建时间', CREATE: '创建', UPDATE: '修改', PUBLISH: '发布', RETIRE: '下线', ELIGIBILITY: '查询企业资格',
  },
  en: {
    brand: 'Policy outreach', skip: 'Skip to content', signOut: 'Sign out', switchLang: '中文',
    signInTitle: 'Sign in to the department console',
    signInHelp: 'Paste the token (JWT) the single window\u2019s identity provider issued. It is kept in this tab\u2019s session storage only.',
    token: 'Token', signIn: 'Sign in', signedOut: 'Your session ended; sign in again.',
    signedInAs: 'Signed in as', department: 'Department', pickDepartment: 'Choose a department',
    overview: 'Overview', from: 'From', to: 'To', apply: 'Apply', clear: 'Clear',
    policy: 'Policy', code: 'Code', status: 'Status', audience: 'Audience', reached: 'Reached',
    acknowledged: 'Acknowledged', reachRate: 'Reach rate', acknowledgeRate: 'Acknowledge rate',
    willApply: 'Will apply', applied: 'Applied', totals: 'Totals', policies: 'policies',
    reachedFirms: 'Firms reached (distinct)', acknowledgedFirms: 'Firms answering (distinct)',
    noPolicies: 'This department has no policies yet.', loading: 'Loading…', sortBy: 'Sort by',
    back: 'Back to the overview', funnel: 'Funnel', byChannel: 'By channel', channel: 'Channel',
    byRegion: 'By prefecture', region: 'Region', daily: 'Day by day', deliveries: 'Deliveries',
    newlyReached: 'Newly reached', acknowledgements: 'Acknowledgements',
    medianHours: 'Median hours to acknowledge',
    live: 'Live', liveHelp: 'The figures update as filings and answers arrive', brokers: 'Broker leverage', broker: 'Broker',
    clients: 'Clients', unreachedClients: 'Unreached clients', unreached: 'Unreached firms',
    stage: 'Stage', NOT_REACHED: 'Never shown', NOT_ACKNOWLEDGED: 'Shown, not answered',
    uscc: 'USCC', name: 'Name', brokersOf: 'Brokers', more: 'Load more', downloadCsv: 'Download CSV',
    needs: 'What firms need', comments: 'Comments', firms: 'Firms', term: 'Term', share: 'Share',
    examples: 'Examples', allComments: 'All comments', filteredBy: 'Filtered by term',
    response: 'Response', time: 'Time', firmLookup: 'Firm lookup', lookup: 'Look up',
    decision: 'Decision record', version: 'Version', outcome: 'Outcome', evaluatedOn: 'Evaluated on',
    reasons: 'Reasons', facts: 'Facts', impressions: 'Impressions', actor: 'Actor',
    noDeliveries: 'This firm was never shown this policy.', none: 'None', error: 'Something went wrong',
    notFound: 'Not found', byResponse: 'By response',
    SINGLE_WINDOW: 'Single window', BROKER: 'Broker', SMS: 'SMS', WECHAT: 'WeChat', PAPER: 'Paper',
    EMAIL: 'Email', OTHER: 'Other',
    DRAFT: 'Draft', PUBLISHED: 'Published', RETIRED: 'Retired',
    SEEN: 'Seen', INTERESTED: 'Interested', WILL_APPLY: 'Will apply', APPLIED: 'Applied',
    NOT_APPLICABLE: 'Not applicable', DISMISSED: 'Dismissed',
    TRUE: 'Qualifies', FALSE: 'Does not qualify', UNKNOWN: 'Undecided',
    FIRM: 'Firm', DEPARTMENT: 'Department', SYSTEM: 'System', ADMIN: 'Admin', ANONYMOUS: 'Anonymous',
    forbidden: 'Not allowed: the console is for issuing departments, SYSTEM and ADMIN.',
    'firm.region': 'Registered in', 'firm.size': 'Firm size', 'firm.industry': 'Industry (GB/T 4754)',
    'firm.customsCredit': 'Customs credit rating', 'firm.exportValuePrevYearUsd': 'Exports last year (US$)',
    'firm.importValuePrevYearUsd': 'Imports last year (US$)', 'firm.foreignInvested': 'Foreign-invested',
    'firm.registeredOn': 'Registered on', 'declaration.direction': 'Direction', 'declaration.tradeMode': 'Trade mode',
    'declaration.port': 'Port', 'declaration.country': 'Country', 'declaration.hsCode': 'HS code',
    'declaration.valueUsd': 'Declared value (US$)',
    'op.eq': 'is', 'op.in': 'is one of', 'op.within': 'lies within', 'op.lt': 'is below', 'op.lte': 'is at most',
    'op.gt': 'is above', 'op.gte': 'is at least', 'op.between': 'is between (inclusive)', 'op.prefix': 'starts with',
    activeLast30Days: 'filed in the last 30 days', reachableViaBroker: 'reachable through a broker',
    estimateBlocked: 'The rule has problems; no estimate until they are fixed.',
    editDraft: 'Edit draft', newVersion: 'Edit (a new version)', newPolicy: 'New policy', eligibility: 'Eligibility',
    saveDraft: 'Save draft', group: 'Group', group_all: 'All of', group_any: 'Any of', group_not: 'Not',
    remove: 'Remove', addCondition: 'Add condition', addGroup: 'Add group', fact: 'Fact', operator: 'Operator', value: 'Value',
    titleZh: 'Title (Chinese)', titleEn: 'Title (English)', summaryZh: 'Summary (Chinese)', summaryEn: 'Summary (English)',
    benefitKind: 'Benefit', regions: 'Regions (GB/T 2260 codes, comma-separated; empty: nationwide)', coIssuers: 'Co-issuing departments (codes)',
    sourceUrl: 'Source', bodyZh: 'Text (Chinese, Markdown)', bodyEn: 'Text (English, Markdown)', effectiveFrom: 'Effective from', effectiveTo: 'Effective to', applyDeadline: 'Apply by', applyUrl: 'Apply at', autoEnjoy: 'Granted without application',
    TAX: 'Tax', FEE_REDUCTION: 'Fee reduction', CREDIT: 'Credit', INSURANCE: 'Insurance', SUBSIDY: 'Subsidy', FACILITATION: 'Facilitation',
    publish: 'Publish', retire: 'Retire', confirm: 'Confirm', cancel: 'Cancel',
    confirmPublish: 'Once published, eligible firms see this policy when they file. Publish it?',
    confirmRetire: 'Once retired, firms no longer see this policy. Retire it?', retireReason: 'Reason',
    history: 'Versions and audit trail', audit: 'Audit trail', publishedAt: 'Published', createdAt: 'Created',
    CREATE: 'Created', UPDATE: 'Edited', PUBLISH: 'Published', RETIRE: 'Retired', ELIGIBILITY: 'Checked a firm',
  },
};

export function lang() {
  return localStorage.getItem('po.lang') === 'en' ? 'en' : 'zh';
}

export function setLang(value) {
  localStorage.setItem('po.lang', value);
  document.documentElement.lang = value === 'en' ? 'en' : 'zh-CN';
}

/** The word for `key` in the current language (the key itself when there is none). */
export function t(key) {
  return WORDS[lang()][key] ?? key;
}

const locale = () => (lang() === 'en' ? 'en-GB' : 'zh-CN');

export function number(n) {
  return new Intl.NumberFormat(locale()).format(n);
}

export function percent(rate) {
  return new Intl.NumberFormat(locale(), { style: 'percent', maximumFractionDigits: 1 }).format(rate);
}

export function dateTime(iso) {
  return new Intl.DateTimeFormat(locale(), { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso));
}
