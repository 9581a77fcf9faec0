package lts

import (
	"encoding/json"
	"net/http"
	"strconv"

	"logtank/internal/catalog"
	"logtank/internal/ltscore"
	"logtank/internal/wire"
)

// dashboardJSON is a dashboard as CreateDashBoard answers it.
type dashboardJSON struct {
	Charts            []string `json:"charts"`
	Filters           []string `json:"filters"`
	GroupName         string   `json:"group_name"`
	ID                string   `json:"id"`
	LastUpdateTime    int64    `json:"last_update_time"`
	ProjectID         string   `json:"project_id"`
	Title             string   `json:"title"`
	UseSystemTemplate bool     `json:"useSystemTemplate"`
	ConciseMode       bool     `json:"concise_mode_enable"`
	Tags              []string `json:"tags"`
}

func dashboardOf(d catalog.Dashboard) dashboardJSON {
	return dashboardJSON{Charts: d.Charts, Filters: []string{}, GroupName: d.GroupName, ID: d.ID, LastUpdateTime: d.UpdatedMS,
		ProjectID: d.ProjectID, Title: d.Title, Tags: []string{}}
}

// createDashboard is CreateDashBoard.
func (s *Service) createDashboard(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		GroupName string `json:"group_name"`
		Title     string `json:"title"`
	}
	if err := decode(r, &req); err != nil {
		return err
	}
	d, err := s.core.CreateDashboard(r.Context(), r.PathValue("project_id"), req.Title, req.GroupName)
	if err != nil {
		return err
	}
	wire.WriteJSON(w, http.StatusOK, dashboardOf(d))
	return nil
}

// listDashboards lists a project's dashboards: an addition of this server
// (the SDK has no such operation), for the console.
func (s *Service) listDashboards(w http.ResponseWriter, r *http.Request) error {
	list, err := s.core.Dashboards(r.Context(), r.PathValue("project_id"))
	if err != nil {
		return err
	}
	out := make([]dashboardJSON, len(list))
	for i, d := range list {
		out[i] = dashboardOf(d)
	}
	wire.WriteJSON(w, http.StatusOK, struct {
		Results []dashboardJSON `json:"results"`
	}{out})
	return nil
}

// deleteDashboard is DeleteDashboard: id and is_delete_charts in the query.
func (s *Service) deleteDashboard(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	withCharts := false
	if v := q.Get("is_delete_charts"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return invalid("is_delete_charts must be true or false, got %q", v)
		}
		withCharts = b
	}
	if err := s.core.DeleteDashboard(r.Context(), r.PathValue("project_id"), q.Get("id"), withCharts); err != nil {
		return err
	}
	wire.WriteJSON(w, http.StatusOK, struct {
		Result string `json:"result"`
	}{"success"})
	return nil
}

// createDashboardGroup is CreateDashboardGroup; its result is the id.
func (s *Service) createDashboardGroup(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		GroupName string `json:"group_name"`
	}
	if err := decode(r, &req); err != nil {
		return err
	}
	id, err := s.core.CreateDashboardGroup(r.Context(), r.PathValue("project_id"), req.GroupName)
	if err != nil {
		return err
	}
	wire.WriteJSON(w, http.StatusOK, struct {
		Result string `json:"result"`
	}{id})
	return nil
}

// chartJSON is a chart as ListCharts writes it.
type chartJSON struct {
	ID            string          `json:"id"`
	SQL           string          `json:"sql"`
	Title         string          `json:"title"`
	Type          string          `json:"type"`
	LogGroupID    string          `json:"log_group_id"`
	LogGroupName  string          `json:"log_group_name"`
	LogStreamID   string          `json:"log_stream_id"`
	LogStreamName string          `json:"log_stream_name"`
	Config        json.RawMessage `json:"config"`
}

func (s *Service) chartOf(r *http.Request, ch catalog.Chart) chartJSON {
	out := chartJSON{ID: ch.ID, SQL: ch.SQL, Title: ch.Title, Type: ch.Type, LogGroupID: ch.GroupID, LogStreamID: ch.StreamID, Config: json.RawMessage(ch.Config)}
	if g, err := s.db.LogGroup(r.Context(), ch.ProjectID, ch.GroupID); err == nil {
		out.LogGroupName = g.Name
	}
	if st, err := s.db.LogStream(r.Context(), ch.ProjectID, ch.GroupID, ch.StreamID); err == nil {
		out.LogStreamName = st.Name
	}
	return out
}

// createChart creates a chart of a stream, on a dashboard when the body
// names one: an addition of this server (the SDK has no such operation),
// on ListCharts' path.
func (s *Service) createChart(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Title       string          `json:"title"`
		SQL         string          `json:"sql"`
		Type        string          `json:"type"`
		Config      json.RawMessage `json:"config"`
		DashboardID string          `json:"dashboard_id"`
	}
	if err := decode(r, &req); err != nil {
		return err
	}
	config := ""
	if len(req.Config) > 0 && string(req.Config) != "null" {
		var c struct {
			CanSort   wire.Bool `json:"canSort"`
			CanSearch wire.Bool `json:"canSearch"`
			PageSize  wire.Int  `json:"pageSize"`
		}
		if err := decodeJSON(req.Config, &c); err != nil {
			return err
		}
		b, _ := json.Marshal(struct {
			CanSort   bool  `json:"canSort"`
			CanSearch bool  `json:"canSearch"`
			PageSize  int64 `json:"pageSize"`
		}{c.CanSort.Value, c.CanSearch.Value, c.PageSize.Value})
		config = string(b)
	}
	ch, err := s.core.CreateChart(r.Context(), r.PathValue("project_id"), r.PathValue("log_group_id"), r.PathValue("log_stream_id"),
		ltscore.ChartSpec{Title: req.Title, SQL: req.SQL, Type: req.Type, Config: config, DashboardID: req.DashboardID})
	if err != nil {
		return err
	}
	wire.WriteJSON(w, http.StatusOK, s.chartOf(r, ch))
	return nil
}

// listCharts is ListCharts. The SDK reads one chart from the answer, so
// its fields are those of the page's first chart; charts (an addition of
// this server) holds the whole page, and total how many there are.
func (s *Service) listCharts(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	offset, limit := 0, 100
	for _, p := range []struct {
		name     string
		v        *int
		min, max int
	}{{"offset", &offset, 0, 1 << 30}, {"limit", &limit, 1, 1000}} {
		if raw := q.Get(p.name); raw != "" {
			n, err := strconv.Atoi(raw)
			if err != nil || n < p.min || n > p.max {
				return invalid("%s must be a whole number from %d to %d, got %q", p.name, p.min, p.max, raw)
			}
			*p.v = n
		}
	}
	list, err := s.core.Charts(r.Context(), r.PathValue("project_id"), r.PathValue("log_group_id"), r.PathValue("log_stream_id"))
	if err != nil {
		return err
	}
	page := list[min(offset, len(list)):min(offset+limit, len(list))]
	out := struct {
		*chartJSON
		Charts []chartJSON `json:"charts"`
		Total  int         `json:"total"`
	}{Charts: make([]chartJSON, len(page)), Total: len(list)}
	for i, ch := range page {
		out.Charts[i] = s.chartOf(r, ch)
	}
	if len(out.Charts) > 0 {
		out.chartJSON = &out.Charts[0]
	}
	wire.WriteJSON(w, http.StatusOK, out)
	return nil
}

// listAllCharts lists every chart of a project (an addition of this
// server, for dashboards, whose charts may be of any stream).
func (s *Service) listAllCharts(w http.ResponseWriter, r *http.Request) error {
	list, err := s.core.Charts(r.Context(), r.PathValue("project_id"), "", "")
	if err != nil {
		return err
	}
	out := make([]chartJSON, len(list))
	for i, ch := range list {
		out[i] = s.chartOf(r, ch)
	}
	wire.WriteJSON(w, http.StatusOK, struct {
		Charts []chartJSON `json:"charts"`
	}{out})
	return nil
}
