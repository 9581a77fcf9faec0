// The alarms page: keyword and SQL alarm rules (the LTS alarm APIs),
// active and history alarms, and logtank's topics (webhook endpoints) and
// action rules that a rule's notifications go to.

export function initAlarms(ctx) {
  const { api, lts, guard, el, ask, domainID, InputError } = ctx;
  const view = document.getElementById('view-alarms');
  const LEVELS = ['Info', 'Minor', 'Major', 'Critical'];
  const page = { alarms: 'active' };

  // The {domain_id} routes take the signed-in user's domain.
  const eventsPath = (what) => `/v2/${ctx.projectID()}/${domainID()}/lts/alarms/sql-alarm/${what}`;
  const fmt = (ms) => (ms ? new Date(ms).toLocaleString() : '–');

  function frequencyText(f) {
    switch (f.type) {
      case 'FIXED_RATE': return `every ${f.fixed_rate} ${f.fixed_rate_unit}${f.fixed_rate > 1 ? 's' : ''}`;
      case 'HOURLY': return 'hourly';
      case 'DAILY': return `daily at ${f.hour_of_day}:00 UTC`;
      case 'WEEKLY': return `weekly, day ${f.day_of_week} at ${f.hour_of_day}:00 UTC`;
      case 'CRON': return `cron ${f.cron_expr}`;
      default: return f.type;
    }
  }

  // frequencyOf reads the form's schedule: "5m" or "2h" is a fixed rate,
  // "hourly", "daily 7" the hour of day (UTC), anything with five fields
  // a cron expression.
  function frequencyOf(text) {
    const v = text.trim();
    let m = /^(\d+)\s*([mh])$/.exec(v);
    if (m) return { type: 'FIXED_RATE', fixed_rate: Number(m[1]), fixed_rate_unit: m[2] === 'm' ? 'minute' : 'hour' };
    if (v === 'hourly') return { type: 'HOURLY' };
    m = /^daily\s+(\d{1,2})$/.exec(v);
    if (m) return { type: 'DAILY', hour_of_day: Number(m[1]) };
    if (v.split(/\s+/).length === 5) return { type: 'CRON', cron_expr: v };
    throw new InputError(`Frequency: "${v}" is not one of 5m, 1h, hourly, daily 7 or a five-field cron expression`);
  }

  function windowOf(text) {
    const m = /^(\d+)\s*([mh])$/.exec(text.trim());
    if (!m || Number(m[1]) === 0) throw new InputError(`Window: "${text}" is not a window like 1m, 15m or 1h`);
    return { search_time_range: Number(m[1]), search_time_range_unit: m[2] === 'm' ? 'minute' : 'hour' };
  }

  // ---- rules ----

  function ruleRow(r, kind) {
    const id = r[`${kind}_alarm_rule_id`];
    const reqs = r[`${kind}_requests`] || [];
    const running = r.status === 'RUNNING';
    const query = reqs.map((q) => (kind === 'keywords' ? `${q.keywords} (count ${q.condition} ${q.number})` : q.sql)).join('; ');
    return el('tr', { 'data-testid': 'alarm-rule-item', 'data-id': id, 'data-kind': kind, 'data-status': r.status },
      el('td', { text: r[`${kind}_alarm_rule_name`] }),
      el('td', { text: kind === 'keywords' ? 'keywords' : 'SQL' }),
      el('td', { text: reqs.map((q) => `${q.log_group_name}/${q.log_stream_name}`).join(', ') }),
      el('td', { class: 'mono', text: query }),
      el('td', { text: kind === 'sql' ? r.condition_expression : '' }),
      el('td', { text: `${frequencyText(r.frequency)}, ${reqs[0] ? reqs[0].search_time_range + ' ' + reqs[0].search_time_range_unit : ''} window` }),
      el('td', { text: r[`${kind}_alarm_level`] }),
      el('td', { text: r.alarm_action_rule_name || '' }),
      el('td', { text: running ? 'running' : 'stopped' }),
      el('td', {},
        el('button', { type: 'button', 'data-testid': 'alarm-rule-toggle', onclick: () => setStatus(id, kind, running ? 'STOPPING' : 'RUNNING') }, running ? 'Disable' : 'Enable'),
        el('button', { type: 'button', 'data-testid': 'alarm-rule-delete', onclick: () => deleteRule(r, id, kind) }, 'Delete')));
  }

  async function setStatus(id, kind, status) {
    await guard(async () => {
      await api('PUT', lts('/lts/alarms/status'), { alarm_rule_id: id, type: kind, status });
      await show();
    });
  }

  async function deleteRule(r, id, kind) {
    if (!(await ask(`Delete the alarm rule ${r[`${kind}_alarm_rule_name`]}?`))) return;
    await guard(async () => {
      await api('DELETE', lts(`/lts/alarms/${kind}-alarm-rule/${id}`));
      await show();
    });
  }

  function ruleForm(streams, targets) {
    const input = (name, props = {}) => el('input', { name, 'data-testid': `alarm-${name}`, ...props });
    const kind = el('select', { name: 'kind', 'data-testid': 'alarm-kind', onchange: () => swap() },
      el('option', { value: 'keywords', text: 'keywords' }), el('option', { value: 'sql', text: 'SQL' }));
    const keywordsPart = el('span', { class: 'inline' },
      el('label', {}, 'keywords ', input('keywords', { size: '18', placeholder: 'error AND disk' })),
      el('label', {}, 'count ', el('select', { name: 'op', 'data-testid': 'alarm-op' }, ...['>=', '>', '<=', '<'].map((o) => el('option', { value: o, text: o })))),
      input('number', { type: 'number', min: '0', value: '1', style: 'width:70px', 'aria-label': 'Count' }));
    const sqlPart = el('span', { class: 'inline', hidden: '' },
      el('label', {}, 'SQL ', input('sql', { size: '28', placeholder: 'error | select count(*) as n' })),
      el('label', {}, 'condition ', input('condition', { size: '10', placeholder: 'n > 10' })));
    const swap = () => {
      keywordsPart.hidden = kind.value !== 'keywords';
      sqlPart.hidden = kind.value !== 'sql';
    };
    return el('form', { class: 'inline card', onsubmit: (e) => createRule(e) },
      el('strong', { text: 'New rule' }), kind,
      input('name', { placeholder: 'rule name', required: '', size: '14', 'aria-label': 'Rule name' }),
      el('label', {}, 'stream ', el('select', { name: 'stream', 'data-testid': 'alarm-stream', required: '' },
        ...streams.map((s) => el('option', { value: `${s.log_group_id}/${s.log_stream_id}`, text: `${s.group_name}/${s.log_stream_name}` })))),
      keywordsPart, sqlPart,
      el('label', {}, 'window ', input('window', { value: '1m', size: '4' })),
      el('label', {}, 'every ', input('every', { value: '1m', size: '8', title: '5m, 1h, hourly, daily 7, or a cron expression' })),
      el('label', {}, 'level ', el('select', { name: 'level', 'data-testid': 'alarm-level' }, ...LEVELS.map((l) => el('option', { value: l, text: l, ...(l === 'Major' ? { selected: '' } : {}) })))),
      el('label', {}, 'notify ', el('select', { name: 'action', 'data-testid': 'alarm-action' }, el('option', { value: '', text: '(nobody)' }),
        ...targets.map((t) => el('option', { value: t.name, text: `${t.name} (${t.what})` })))),
      el('button', { type: 'submit', 'data-testid': 'alarm-create' }, 'Create rule'));
  }

  async function createRule(ev) {
    ev.preventDefault();
    const f = ev.target;
    await guard(async () => {
      const kind = f.kind.value;
      if (!f.stream.value) throw new InputError('Alarm rule: create a stream first');
      const [group, stream] = f.stream.value.split('/');
      const req = { log_group_id: group, log_stream_id: stream, ...windowOf(f.window.value) };
      const body = {
        [`${kind}_alarm_rule_name`]: f.name.value.trim(), [`${kind}_alarm_level`]: f.level.value, [`${kind}_requests`]: [req],
        frequency: frequencyOf(f.every.value), domain_id: domainID(), notification_frequency: 0, whether_recovery_policy: true,
      };
      if (f.action.value) body.alarm_action_rule_name = f.action.value;
      if (kind === 'keywords') {
        if (!f.keywords.value.trim()) throw new InputError('Alarm rule: the keywords are required');
        Object.assign(req, { keywords: f.keywords.value.trim(), condition: f.op.value, number: Number(f.number.value) });
      } else {
        if (!f.sql.value.trim() || !f.condition.value.trim()) throw new InputError('Alarm rule: the SQL and its condition are required');
        req.sql = f.sql.value.trim();
        body.condition_expression = f.condition.value.trim();
      }
      await api('POST', lts(`/lts/alarms/${kind}-alarm-rule`), body);
      await show();
    });
  }

  // ---- active and history alarms ----

  function alarmRow(a, active) {
    const sent = (a.deliveries || []).map((d) => `${d.kind} to ${d.topic}: ${d.state} after ${d.attempts} attempt${d.attempts === 1 ? '' : 's'}${d.last_error ? ` (${d.last_error})` : ''}`);
    return el('tr', { 'data-testid': active ? 'alarm-active-item' : 'alarm-history-item', 'data-id': a.id },
      el('td', { text: a.metadata.event_severity }),
      el('td', { text: a.metadata.event_name }),
      el('td', { text: `${a.metadata.log_group_name}/${a.metadata.log_stream_name}` }),
      el('td', { text: fmt(a.starts_at) }),
      el('td', { text: active ? fmt(a.arrives_at) : fmt(a.ends_at) }),
      el('td', { text: String(a.count) }),
      el('td', { text: a.annotations.condition_expression_with_value }),
      el('td', { class: 'mono sample', text: (a.samples || []).join('\n') }),
      el('td', { 'data-testid': 'alarm-deliveries', text: sent.join('\n') }),
      el('td', {}, active ? el('button', { type: 'button', 'data-testid': 'alarm-clear', onclick: () => clearAlarm(a) }, 'Clear') : null));
  }

  async function clearAlarm(a) {
    await guard(async () => {
      await api('POST', eventsPath('clear'), { events: [{ metadata: { event_id: a.id } }] });
      await show();
    });
  }

  // ---- topics and action rules ----

  async function createTopic(ev) {
    ev.preventDefault();
    const f = ev.target;
    await guard(async () => {
      const headers = {};
      for (const h of f.headers.value.split(',').map((x) => x.trim()).filter(Boolean)) {
        const i = h.indexOf(':');
        if (i < 1) throw new InputError(`Topic: the header "${h}" is not Name:value`);
        headers[h.slice(0, i).trim()] = h.slice(i + 1).trim();
      }
      await api('POST', lts('/logtank/alarm-topics'), { name: f.name.value.trim(), url: f.url.value.trim(), headers });
      await show();
    });
  }

  async function createActionRule(ev) {
    ev.preventDefault();
    const f = ev.target;
    await guard(async () => {
      const topics = f.topics.value.split(',').map((x) => x.trim()).filter(Boolean);
      await api('POST', lts('/logtank/alarm-action-rules'), { name: f.name.value.trim(), topics, template: f.template.value.trim() });
      await show();
    });
  }

  async function deleteObject(what, path, name) {
    if (!(await ask(`Delete the ${what} ${name}?`))) return;
    await guard(async () => {
      await api('DELETE', lts(`${path}/${encodeURIComponent(name)}`));
      await show();
    });
  }

  const table = (testid, heads, rows, empty) => (rows.length
    ? el('table', { class: 'grid', 'data-testid': testid }, el('tr', {}, ...heads.map((h) => el('th', { text: h }))), ...rows)
    : el('p', { class: 'hint', text: empty }));

  async function show() {
    await guard(async () => {
      const [kw, sql, events, topics, actions, groups, streams] = await Promise.all([
        api('GET', lts('/lts/alarms/keywords-alarm-rule')), api('GET', lts('/lts/alarms/sql-alarm-rule')),
        api('POST', eventsPath(`query?type=${page.alarms}_alert`), {}),
        api('GET', lts('/logtank/alarm-topics')), api('GET', lts('/logtank/alarm-action-rules')),
        api('GET', lts('/groups')), api('GET', lts('/log-streams')),
      ]);
      const groupName = new Map((groups.data.log_groups || []).map((g) => [g.log_group_id, g.log_group_name]));
      const streamList = (streams.data.log_streams || []).map((s) => ({ ...s, group_name: groupName.get(s.log_group_id) || s.log_group_id }));
      const ts = topics.data.topics || [];
      const ars = actions.data.action_rules || [];
      // A topic named as a rule's action rule acts as one with the default template.
      const targets = [...ars.map((a) => ({ name: a.name, what: 'action rule' })), ...ts.map((t) => ({ name: t.name, what: 'topic' }))];
      const rules = [...(kw.data.keywords_alarm_rules || []).map((r) => ruleRow(r, 'keywords')), ...(sql.data.sql_alarm_rules || []).map((r) => ruleRow(r, 'sql'))];
      const active = page.alarms === 'active';
      const tab = (which, label) => el('button', { type: 'button', 'data-testid': `alarms-${which}`, 'aria-pressed': String(page.alarms === which),
        onclick: () => { page.alarms = which; show(); } }, label);
      view.replaceChildren(
        el('h2', { text: 'Alarm rules' }),
        table('alarm-rules', ['name', 'kind', 'streams', 'query', 'condition', 'frequency', 'level', 'notify', 'status', ''], rules, 'No alarm rules yet.'),
        ruleForm(streamList, targets),
        el('h2', { class: 'inline' }, 'Alarms ', tab('active', 'Active'), tab('history', 'History'),
          el('button', { type: 'button', 'data-testid': 'alarms-refresh', onclick: () => show() }, 'Refresh')),
        table('alarm-list', ['level', 'rule', 'stream', 'first', active ? 'last' : 'ended', 'count', 'condition', 'sample', 'deliveries', ''],
          (events.data.events || []).map((a) => alarmRow(a, active)), active ? 'No active alarms.' : 'No past alarms.'),
        el('div', { class: 'cards' },
          el('section', { class: 'card' }, el('h3', { text: 'Topics (webhooks)' }),
            table('alarm-topics', ['name', 'url', ''], ts.map((t) => el('tr', { 'data-testid': 'alarm-topic-item', 'data-name': t.name },
              el('td', { text: t.name }), el('td', { class: 'mono', text: t.url }),
              el('td', {}, el('button', { type: 'button', 'data-testid': 'alarm-topic-delete', onclick: () => deleteObject('topic', '/logtank/alarm-topics', t.name) }, 'Delete')))), 'No topics yet.'),
            el('form', { class: 'inline', onsubmit: createTopic },
              el('input', { name: 'name', placeholder: 'name', required: '', size: '10', 'data-testid': 'topic-name', 'aria-label': 'Topic name' }),
              el('input', { name: 'url', type: 'url', placeholder: 'https://…', required: '', size: '26', 'data-testid': 'topic-url', 'aria-label': 'Webhook URL' }),
              el('input', { name: 'headers', placeholder: 'Header:value, …', size: '16', 'data-testid': 'topic-headers', 'aria-label': 'Headers' }),
              el('button', { type: 'submit', 'data-testid': 'topic-create' }, 'Add topic'))),
          el('section', { class: 'card' }, el('h3', { text: 'Action rules' }),
            table('alarm-action-rules', ['name', 'topics', 'template', ''], ars.map((a) => el('tr', { 'data-testid': 'action-rule-item', 'data-name': a.name },
              el('td', { text: a.name }), el('td', { text: a.topics.join(', ') }), el('td', { text: a.template || '(default)' }),
              el('td', {}, el('button', { type: 'button', 'data-testid': 'action-rule-delete', onclick: () => deleteObject('action rule', '/logtank/alarm-action-rules', a.name) }, 'Delete')))), 'No action rules yet: a topic can be named directly.'),
            el('form', { class: 'inline', onsubmit: createActionRule },
              el('input', { name: 'name', placeholder: 'name', required: '', size: '10', 'data-testid': 'action-rule-name', 'aria-label': 'Action rule name' }),
              el('input', { name: 'topics', placeholder: 'topic, topic', required: '', size: '14', 'data-testid': 'action-rule-topics', 'aria-label': 'Topics' }),
              el('input', { name: 'template', placeholder: 'template (optional)', size: '14', 'data-testid': 'action-rule-template', 'aria-label': 'Notification template' }),
              el('button', { type: 'submit', 'data-testid': 'action-rule-create' }, 'Add action rule')))));
    });
  }

  return { show };
}
