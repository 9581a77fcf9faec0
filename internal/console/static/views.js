// The console's other views: dashboards, metrics and functions.

export function initViews(ctx) {
  const { el } = ctx;
  const placeholder = (id, text) => ({
    show() {
      document.getElementById(id).replaceChildren(el('p', { class: 'hint', text }));
    },
  });
  return {
    dashboards: placeholder('view-dashboards', 'Dashboards are not available yet.'),
    metrics: placeholder('view-metrics', 'Metrics are not available yet.'),
    functions: placeholder('view-functions', 'Functions are not available yet.'),
  };
}
