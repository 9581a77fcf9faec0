package ltscore

import (
	"context"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"logtank/internal/catalog"
)

// Dashboards: titled lists of SQL charts of streams, in dashboard groups.
const (
	// MaxDashboards bounds a project's dashboards.
	MaxDashboards = 100
	// MaxTitle is the longest title of a dashboard or chart, and name of
	// a dashboard group, in characters.
	MaxTitle = 128
	// DefaultDashboardGroup holds the dashboards created without a group.
	DefaultDashboardGroup = "default"
)

// ChartTypes are the ways to draw a chart, as ListCharts names them.
var ChartTypes = []string{"table", "bar", "line", "pie", "number"}

func checkTitle(field, v string) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" || utf8.RuneCountInString(v) > MaxTitle {
		return "", Invalid("%s must be 1 to %d characters", field, MaxTitle)
	}
	return v, nil
}

// CreateDashboardGroup creates a dashboard group and returns its id.
func (c *Core) CreateDashboardGroup(ctx context.Context, project, name string) (string, error) {
	name, err := checkTitle("group_name", name)
	if err != nil {
		return "", err
	}
	id := uuid.NewString()
	switch err := c.db.CreateDashboardGroup(ctx, id, project, name, c.now().UnixMilli()); {
	case errors.Is(err, catalog.ErrExists):
		return "", ErrDashboardGroupExists.WithMsg("The dashboard group %q exists", name)
	case err != nil:
		return "", internalFailure(ErrInternal, err)
	}
	return id, nil
}

// CreateDashboard creates an empty dashboard in a group (the default group
// when groupName is empty, which exists without being created).
func (c *Core) CreateDashboard(ctx context.Context, project, title, groupName string) (catalog.Dashboard, error) {
	title, err := checkTitle("title", title)
	if err != nil {
		return catalog.Dashboard{}, err
	}
	if groupName == "" {
		groupName = DefaultDashboardGroup
	} else if groupName != DefaultDashboardGroup {
		ok, err := c.db.DashboardGroupExists(ctx, project, groupName)
		if err != nil {
			return catalog.Dashboard{}, internalFailure(ErrInternal, err)
		}
		if !ok {
			return catalog.Dashboard{}, ErrDashboardGroupNotFound.WithMsg("There is no dashboard group %q", groupName)
		}
	}
	d := catalog.Dashboard{ID: uuid.NewString(), ProjectID: project, GroupName: groupName, Title: title, Charts: []string{}, UpdatedMS: c.now().UnixMilli()}
	switch err := c.db.CreateDashboard(ctx, d, MaxDashboards); {
	case errors.Is(err, catalog.ErrExists):
		return d, ErrDashboardExists.WithMsg("A dashboard titled %q exists", title)
	case errors.Is(err, catalog.ErrQuota):
		return d, ErrDashboardQuota.WithMsg("The project has %d dashboards, the most allowed", MaxDashboards)
	case err != nil:
		return d, internalFailure(ErrInternal, err)
	}
	return d, nil
}

// Dashboards lists a project's dashboards.
func (c *Core) Dashboards(ctx context.Context, project string) ([]catalog.Dashboard, error) {
	out, err := c.db.Dashboards(ctx, project)
	if err != nil {
		return nil, internalFailure(ErrInternal, err)
	}
	return out, nil
}

// DeleteDashboard deletes a dashboard and, when withCharts, its charts.
func (c *Core) DeleteDashboard(ctx context.Context, project, id string, withCharts bool) error {
	if id == "" {
		return Invalid("id is required")
	}
	switch err := c.db.DeleteDashboard(ctx, project, id, withCharts); {
	case errors.Is(err, catalog.ErrNotFound):
		return ErrDashboardNotFound.WithMsg("There is no dashboard %q", id)
	case err != nil:
		return internalFailure(ErrInternal, err)
	}
	return nil
}

// ChartSpec is a chart to create, on a dashboard when DashboardID is set.
type ChartSpec struct {
	Title, SQL, Type, Config, DashboardID string
}

// CreateChart creates a chart of a stream; its SQL must parse.
func (c *Core) CreateChart(ctx context.Context, project, group, stream string, spec ChartSpec) (catalog.Chart, error) {
	title, err := checkTitle("title", spec.Title)
	if err != nil {
		return catalog.Chart{}, err
	}
	if !oneOf(spec.Type, ChartTypes) {
		return catalog.Chart{}, NotInList("type", ChartTypes...)
	}
	search, sql := SplitPipe(spec.SQL)
	if sql == "" {
		sql, search = search, ""
	}
	if strings.TrimSpace(sql) == "" {
		return catalog.Chart{}, Invalid("sql is required")
	}
	if _, _, err := c.matcher(stream, search, nil); err != nil {
		return catalog.Chart{}, err
	}
	if _, err := parseSQL("sql", sql, false); err != nil {
		return catalog.Chart{}, err
	}
	if _, err := c.stream(ctx, project, group, stream); err != nil {
		return catalog.Chart{}, err
	}
	if spec.Config == "" {
		spec.Config = `{"canSort":false,"canSearch":false,"pageSize":20}`
	}
	ch := catalog.Chart{ID: uuid.NewString(), ProjectID: project, GroupID: group, StreamID: stream, Title: title, SQL: spec.SQL,
		Type: spec.Type, Config: spec.Config, CreatedMS: c.now().UnixMilli()}
	switch err := c.db.CreateChart(ctx, ch, spec.DashboardID); {
	case errors.Is(err, catalog.ErrNotFound) && spec.DashboardID != "":
		return ch, ErrDashboardNotFound.WithMsg("There is no dashboard %q (or the stream is gone)", spec.DashboardID)
	case errors.Is(err, catalog.ErrNotFound):
		return ch, ErrStreamNotFound
	case err != nil:
		return ch, internalFailure(ErrInternal, err)
	}
	return ch, nil
}

func oneOf(v string, list []string) bool {
	for _, x := range list {
		if v == x {
			return true
		}
	}
	return false
}

// Charts lists the charts of a stream (of the whole project when group
// and stream are empty).
func (c *Core) Charts(ctx context.Context, project, group, stream string) ([]catalog.Chart, error) {
	if stream != "" {
		if _, err := c.stream(ctx, project, group, stream); err != nil {
			return nil, err
		}
	}
	out, err := c.db.Charts(ctx, project, group, stream)
	if err != nil {
		return nil, internalFailure(ErrInternal, err)
	}
	return out, nil
}
