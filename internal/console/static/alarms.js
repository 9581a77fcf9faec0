// The alarms page: keyword and SQL alarm rules (the LTS alarm APIs),
// active and history alarms, refreshed by themselves while the page is in
// sight, notification templates, and logtank's topics (webhook endpoints)
// and action rules that a rule's notifications go to.

export function initAlarms(ctx) {
  const { api, lts, guard, el, ask, domainID, InputError } = ctx;
  const view = document.getElementById('view-alarms');
  const LEVELS = ['Info', 'Minor', 'Major', 'Critical'];
  // alarms: the list shown; every: seconds between refreshes of it (0:
  // paused); editing: the rule the rule form changes ({kind, rule});
  // template: the template the template form changes.
  const page = { alarms: 'active', every: 10, editing: null, template: null };
  const REFRESH_CHOICES = [[0, 'off'], [5, '5 s'], [10, '10 s'], [30, '30 s'], [60, '1 min']];

  // The {domain_id} routes take the signed-in user's domain.
  const domainLTS = (path) => `/v2/${ctx.projectID()}/${domainID()}/lts${path}`;
  const eventsPath = (what) => domainLTS(`/alarms/sql-alarm/${what}`);
  const templatesPath = (what = '') => domainLTS(`/events/notification/templates${what}`);
  const option = (value, text, current) => el('option', { value, text, ...(String(value) === String(current) ? { selected: '' } : {}) });
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
  // "hourly", "daily 7" the hour of day (UTC), "weekly 1 7" the day of the
  // week (1 is Sunday) and hour, anything with five fields a cron
  // expression. frequencyInput writes a rule's frequency back that way.
  function frequencyOf(text) {
    const v = text.trim();
    let m = /^(\d+)\s*([mh])$/.exec(v);
    if (m) return { type: 'FIXED_RATE', fixed_rate: Number(m[1]), fixed_rate_unit: m[2] === 'm' ? 'minute' : 'hour' };
    if (v === 'hourly') return { type: 'HOURLY' };
    m = /^daily\s+(\d{1,2})$/.exec(v);
    if (m) return { type: 'DAILY', hour_of_day: Number(m[1]) };
    m = /^weekly\s+(\d)\s+(\d{1,2})$/.exec(v);
    if (m) return { type: 'WEEKLY', day_of_week: Number(m[1]), hour_of_day: Number(m[2]) };
    if (v.split(/\s+/).length === 5) return { type: 'CRON', cron_expr: v };
    throw new InputError(`Frequency: "${v}" is not one of 5m, 1h, hourly, daily 7, weekly 1 7 or a five-field cron expression`);
  }

  function frequencyInput(f) {
    switch (f.type) {
      case 'FIXED_RATE': return `${f.fixed_rate}${f.fixed_rate_unit === 'hour' ? 'h' : 'm'}`;
      case 'HOURLY': return 'hourly';
      case 'DAILY': return `daily ${f.hour_of_day}`;
      case 'WEEKLY': return `weekly ${f.day_of_week} ${f.hour_of_day}`;
      default: return f.cron_expr;
    }
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
        el('button', { type: 'button', 'data-testid': 'alarm-rule-edit', onclick: () => { page.editing = { kind, rule: r }; show(); } }, 'Edit'),
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

  // ruleForm creates a rule, or, with page.editing set, shows that rule's
  // values and saves them over it (its kind stays).
  function ruleForm(streams, targets) {
    const ed = page.editing;
    const r = ed ? ed.rule : {};
    const q = ed ? r[`${ed.kind}_requests`][0] : {};
    const input = (name, props = {}) => el('input', { name, 'data-testid': `alarm-${name}`, ...props });
    const kind = el('select', { name: 'kind', 'data-testid': 'alarm-kind', onchange: () => swap(), ...(ed ? { disabled: '' } : {}) },
      option('keywords', 'keywords', ed?.kind), option('sql', 'SQL', ed?.kind));
    const keywordsPart = el('span', { class: 'inline' },
      el('label', {}, 'keywords ', input('keywords', { size: '18', placeholder: 'error AND disk', value: q.keywords ?? '' })),
      el('label', {}, 'count ', el('select', { name: 'op', 'data-testid': 'alarm-op' }, ...['>=', '>', '<=', '<'].map((o) => option(o, o, q.condition)))),
      input('number', { type: 'number', min: '0', value: String(q.number ?? 1), style: 'width:70px', 'aria-label': 'Count' }));
    const sqlPart = el('span', { class: 'inline' },
      el('label', {}, 'SQL ', input('sql', { size: '28', placeholder: 'error | select count(*) as n', value: q.sql ?? '' })),
      el('label', {}, 'condition ', input('condition', { size: '10', placeholder: 'n > 10', value: r.condition_expression ?? '' })));
    const swap = () => {
      keywordsPart.hidden = kind.value !== 'keywords';
      sqlPart.hidden = kind.value !== 'sql';
    };
    swap();
    const win = ed ? `${q.search_time_range}${q.search_time_range_unit === 'hour' ? 'h' : 'm'}` : '1m';
    return el('form', { class: 'inline card', 'data-testid': 'alarm-form', onsubmit: (e) => saveRule(e) },
      el('strong', { text: ed ? `Edit ${r[`${ed.kind}_alarm_rule_name`]}` : 'New rule' }), kind,
      input('name', { placeholder: 'rule name', required: '', size: '14', 'aria-label': 'Rule name', value: ed ? r[`${ed.kind}_alarm_rule_name`] : '' }),
      el('label', {}, 'stream ', el('select', { name: 'stream', 'data-testid': 'alarm-stream', required: '' },
        ...streams.map((s) => option(`${s.log_group_id}/${s.log_stream_id}`, `${s.group_name}/${s.log_stream_name}`, `${q.log_group_id}/${q.log_stream_id}`)))),
      keywordsPart, sqlPart,
      el('label', {}, 'window ', input('window', { value: win, size: '4' })),
      el('label', {}, 'every ', input('every', { value: ed ? frequencyInput(r.frequency) : '1m', size: '8', title: '5m, 1h, hourly, daily 7, weekly 1 7, or a cron expression' })),
      el('label', {}, 'level ', el('select', { name: 'level', 'data-testid': 'alarm-level' }, ...LEVELS.map((l) => option(l, l, ed ? r[`${ed.kind}_alarm_level`] : 'Major')))),
      el('label', {}, 'notify ', el('select', { name: 'action', 'data-testid': 'alarm-action' }, option('', '(nobody)', r.alarm_action_rule_name ?? ''),
        ...targets.map((t) => option(t.name, `${t.name} (${t.what})`, r.alarm_action_rule_name)))),
      ed ? el('button', { type: 'submit', 'data-testid': 'alarm-save' }, 'Save rule') : el('button', { type: 'submit', 'data-testid': 'alarm-create' }, 'Create rule'),
      ed ? el('button', { type: 'button', 'data-testid': 'alarm-edit-cancel', onclick: () => { page.editing = null; show(); } }, 'Cancel') : null);
  }

  // saveRule creates the form's rule, or updates the one being edited
  // (UpdateKeywordsAlarmRule, UpdateSqlAlarmRule): the form's values
  // replace those it shows; what it does not show (description, trigger
  // and recovery counts, tags, a rule's further streams) is sent back as
  // the rule has it, so that an edit changes nothing else.
  async function saveRule(ev) {
    ev.preventDefault();
    const f = ev.target;
    const ed = page.editing;
    await guard(async () => {
      const kind = ed ? ed.kind : f.kind.value;
      if (!f.stream.value) throw new InputError('Alarm rule: create a stream first');
      const [group, stream] = f.stream.value.split('/');
      const req = { log_group_id: group, log_stream_id: stream, ...windowOf(f.window.value) };
      const body = {
        [`${kind}_alarm_rule_name`]: f.name.value.trim(), [`${kind}_alarm_level`]: f.level.value, [`${kind}_requests`]: [req],
        frequency: frequencyOf(f.every.value), domain_id: domainID(), notification_frequency: 0, whether_recovery_policy: true,
      };
      if (ed) {
        const r = ed.rule;
        Object.assign(body, {
          [`${kind}_alarm_rule_id`]: r[`${kind}_alarm_rule_id`], [`${kind}_alarm_rule_description`]: r[`${kind}_alarm_rule_description`],
          alarm_rule_alias: r.alarm_rule_alias, trigger_condition_count: r.trigger_condition_count, trigger_condition_frequency: r.trigger_condition_frequency,
          whether_recovery_policy: r.whether_recovery_policy, recovery_policy: r.recovery_policy, notification_frequency: r.notification_frequency, tags: r.tags,
        });
        body[`${kind}_requests`].push(...r[`${kind}_requests`].slice(1));
      }
      body.alarm_action_rule_name = f.action.value || undefined;
      if (kind === 'keywords') {
        if (!f.keywords.value.trim()) throw new InputError('Alarm rule: the keywords are required');
        Object.assign(req, { keywords: f.keywords.value.trim(), condition: f.op.value, number: Number(f.number.value) });
      } else {
        if (!f.sql.value.trim() || !f.condition.value.trim()) throw new InputError('Alarm rule: the SQL and its condition are required');
        req.sql = f.sql.value.trim();
        body.condition_expression = f.condition.value.trim();
      }
      await api(ed ? 'PUT' : 'POST', lts(`/lts/alarms/${kind}-alarm-rule`), body);
      page.editing = null;
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
      await refreshAlarms();
    });
  }

  // The list of alarms and its status line outlive a redraw of the page,
  // so that a refresh under way lands in the page shown.
  const eventsBox = el('div', { 'data-testid': 'alarm-events' });
  const updated = el('span', { class: 'hint', 'data-testid': 'alarms-updated' });
  let refreshing = null; // the refresh under way, which every caller shares
  let timer = 0;

  // refreshAlarms redraws the active or past alarms. Callers during a
  // refresh get that refresh: requests never overlap, however often the
  // timer, Refresh or Clear ask.
  function refreshAlarms() {
    refreshing ??= (async () => {
      let which;
      let events;
      // A switch between Active and History during the request asks again.
      do {
        which = page.alarms;
        events = await api('POST', eventsPath(`query?type=${which}_alert`), {});
      } while (which !== page.alarms);
      const active = which === 'active';
      eventsBox.replaceChildren(table('alarm-list', ['level', 'rule', 'stream', 'first', active ? 'last' : 'ended', 'count', 'condition', 'sample', 'deliveries', ''],
        (events.data.events || []).map((a) => alarmRow(a, active)), active ? 'No active alarms.' : 'No past alarms.'));
      updated.textContent = `updated ${new Date().toLocaleTimeString()}`;
    })().finally(() => { refreshing = null; });
    return refreshing;
  }

  // schedule arms the next automatic refresh, counted from the end of the
  // last one (a slow server is not asked again before it answered).
  function schedule() {
    clearTimeout(timer);
    if (page.every > 0) timer = setTimeout(tick, page.every * 1000);
  }

  // tick refreshes only while the page is in sight: another view, a
  // hidden browser tab or a signed-out console ask nothing. Its errors go
  // to the status line, not over what the user is doing.
  async function tick() {
    if (!document.hidden && view.checkVisibility()) {
      try {
        await refreshAlarms();
      } catch (e) {
        updated.textContent = `refresh failed: ${e.code ? `${e.code}: ` : ''}${e.message}`;
      }
    }
    schedule();
  }
  // Back in sight after a while: refresh now rather than at the next tick.
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden && page.every > 0) tick();
  });

  // ---- notification templates ----

  // A template holds a content per channel (sub_type); the form edits one
  // channel's, and keeps the others.
  const CHANNELS = ['webhook', 'email', 'sms', 'dingding', 'wechat'];
  const subOf = (t, channel) => (t?.templates || []).find((x) => x.sub_type === channel);
  const preview = el('pre', { class: 'mono sample', 'data-testid': 'template-preview-text', hidden: '' });

  async function showPreview(content, locale) {
    await guard(async () => {
      if (!content.trim()) throw new InputError('Template: write a content to preview');
      const r = await api('POST', templatesPath('/view'), { templates: content, language: locale, source: 'LTS' });
      preview.textContent = r.data.template;
      preview.hidden = false;
    });
  }

  function templateForm() {
    const t = page.template;
    const first = t ? t.templates[0].sub_type : 'webhook';
    const content = el('textarea', { name: 'content', rows: '3', cols: '48', 'data-testid': 'template-content', 'aria-label': 'Content',
      placeholder: '${rule_name} is ${status}: ${condition_expression_with_value}\n${samples}' });
    const subject = el('input', { name: 'subject', size: '20', placeholder: 'subject (email)', 'data-testid': 'template-subject', 'aria-label': 'Subject' });
    const fill = (channel) => {
      const st = subOf(t, channel);
      content.value = st ? st.content : '';
      subject.value = st?.topic || '';
    };
    fill(first);
    const form = el('form', { class: 'inline', 'data-testid': 'template-form', onsubmit: (e) => saveTemplate(e) },
      el('input', { name: 'name', placeholder: 'name', required: '', size: '12', 'data-testid': 'template-name', 'aria-label': 'Template name', value: t?.name ?? '', ...(t ? { readonly: '' } : {}) }),
      el('input', { name: 'desc', placeholder: 'description', size: '16', 'data-testid': 'template-desc', 'aria-label': 'Description', value: t?.desc ?? '' }),
      el('select', { name: 'locale', 'data-testid': 'template-locale', 'aria-label': 'Language' }, option('en-us', 'English', t?.locale ?? 'en-us'), option('zh-cn', 'Chinese', t?.locale)),
      el('select', { name: 'channel', 'data-testid': 'template-channel', 'aria-label': 'Channel', onchange: (e) => fill(e.target.value) }, ...CHANNELS.map((c) => option(c, c, first))),
      subject, content,
      el('button', { type: 'button', 'data-testid': 'template-preview', onclick: () => showPreview(form.content.value, form.locale.value) }, 'Preview'),
      el('button', { type: 'submit', 'data-testid': 'template-save' }, t ? 'Save template' : 'Add template'),
      t ? el('button', { type: 'button', 'data-testid': 'template-edit-cancel', onclick: () => { page.template = null; show(); } }, 'Cancel') : null);
    return form;
  }

  // saveTemplate creates a template, or replaces the edited one's content
  // for the form's channel (CreateNotificationTemplate,
  // UpdateNotificationTemplate).
  async function saveTemplate(ev) {
    ev.preventDefault();
    const f = ev.target;
    const t = page.template;
    await guard(async () => {
      if (!f.content.value.trim()) throw new InputError(`Template: the ${f.channel.value} content is required`);
      const sub = { sub_type: f.channel.value, content: f.content.value, ...(f.subject.value.trim() ? { topic: f.subject.value.trim() } : {}) };
      const others = (t?.templates || []).filter((x) => x.sub_type !== sub.sub_type);
      await api(t ? 'PUT' : 'POST', templatesPath(), {
        name: f.name.value.trim(), desc: f.desc.value.trim(), locale: f.locale.value, source: t?.source || 'LTS', type: t?.type, templates: [sub, ...others],
      });
      page.template = null;
      preview.hidden = true;
      await show();
    });
  }

  async function deleteTemplate(t) {
    if (!(await ask(`Delete the notification template ${t.name}?`))) return;
    await guard(async () => {
      await api('DELETE', templatesPath(), { template_names: [t.name] });
      if (page.template?.name === t.name) page.template = null;
      await show();
    });
  }

  function templateRow(t) {
    // The preview is of the content a notification uses: webhook's, else the first.
    const used = subOf(t, 'webhook') || t.templates[0];
    return el('tr', { 'data-testid': 'template-item', 'data-name': t.name },
      el('td', { text: t.name }), el('td', { text: t.locale }), el('td', { text: t.templates.map((x) => x.sub_type).join(', ') }), el('td', { text: t.desc || '' }),
      el('td', {},
        el('button', { type: 'button', 'data-testid': 'template-item-preview', onclick: () => showPreview(used.content, t.locale) }, 'Preview'),
        el('button', { type: 'button', 'data-testid': 'template-edit', onclick: () => { page.template = t; preview.hidden = true; show(); } }, 'Edit'),
        el('button', { type: 'button', 'data-testid': 'template-delete', onclick: () => deleteTemplate(t) }, 'Delete')));
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
      const [kw, sql, topics, actions, groups, streams, templates] = await Promise.all([
        api('GET', lts('/lts/alarms/keywords-alarm-rule')), api('GET', lts('/lts/alarms/sql-alarm-rule')),
        api('GET', lts('/logtank/alarm-topics')), api('GET', lts('/logtank/alarm-action-rules')),
        api('GET', lts('/groups')), api('GET', lts('/log-streams')), api('GET', templatesPath()), refreshAlarms(),
      ]);
      const tpls = templates.data.results || [];
      const groupName = new Map((groups.data.log_groups || []).map((g) => [g.log_group_id, g.log_group_name]));
      const streamList = (streams.data.log_streams || []).map((s) => ({ ...s, group_name: groupName.get(s.log_group_id) || s.log_group_id }));
      const ts = topics.data.topics || [];
      const ars = actions.data.action_rules || [];
      // A topic named as a rule's action rule acts as one with the default template.
      const targets = [...ars.map((a) => ({ name: a.name, what: 'action rule' })), ...ts.map((t) => ({ name: t.name, what: 'topic' }))];
      const rules = [...(kw.data.keywords_alarm_rules || []).map((r) => ruleRow(r, 'keywords')), ...(sql.data.sql_alarm_rules || []).map((r) => ruleRow(r, 'sql'))];
      const tabs = [];
      const tab = (which, label) => el('button', { type: 'button', 'data-testid': `alarms-${which}`, 'aria-pressed': String(page.alarms === which),
        onclick: (e) => {
          page.alarms = which;
          for (const b of tabs) b.setAttribute('aria-pressed', String(b === e.currentTarget));
          guard(refreshAlarms);
        } }, label);
      tabs.push(tab('active', 'Active'), tab('history', 'History'));
      const every = el('select', { 'data-testid': 'alarms-auto', 'aria-label': 'Refresh every', onchange: (e) => { page.every = Number(e.target.value); schedule(); } },
        ...REFRESH_CHOICES.map(([n, text]) => option(n, text, page.every)));
      view.replaceChildren(
        el('h2', { text: 'Alarm rules' }),
        table('alarm-rules', ['name', 'kind', 'streams', 'query', 'condition', 'frequency', 'level', 'notify', 'status', ''], rules, 'No alarm rules yet.'),
        ruleForm(streamList, targets),
        el('h2', { class: 'inline' }, 'Alarms ', ...tabs,
          el('button', { type: 'button', 'data-testid': 'alarms-refresh', onclick: () => guard(refreshAlarms) }, 'Refresh'),
          el('label', { class: 'hint' }, 'auto ', every), updated),
        eventsBox,
        el('section', { class: 'card' }, el('h3', { text: 'Notification templates' }),
          table('alarm-templates', ['name', 'language', 'channels', 'description', ''], tpls.map(templateRow), 'No templates yet: notifications use the default one.'),
          templateForm(), preview),
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
              el('select', { name: 'template', 'data-testid': 'action-rule-template', 'aria-label': 'Notification template' },
                option('', '(default template)', ''), ...tpls.map((t) => option(t.name, t.name, ''))),
              el('button', { type: 'submit', 'data-testid': 'action-rule-create' }, 'Add action rule')))));
    });
    schedule();
  }

  return { show };
}
