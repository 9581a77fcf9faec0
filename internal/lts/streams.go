package lts

import (
	"errors"
	"logtank/internal/ltscore"
	"net/http"
	"strings"

	"github.com/google/uuid"

	"logtank/internal/catalog"
	"logtank/internal/wire"
)

type createStreamRequest struct {
	Name              string   `json:"log_stream_name"`
	TTL               wire.Int `json:"ttl_in_days"`
	Tags              *[]tag   `json:"tags"`
	Alias             string   `json:"log_stream_name_alias"`
	EnterpriseProject string   `json:"enterprise_project_name"`
}

// streamJSON is a log stream as the list APIs return it.
type streamJSON struct {
	CreationTime      int64             `json:"creation_time"`
	Name              string            `json:"log_stream_name"`
	ID                string            `json:"log_stream_id"`
	GroupID           string            `json:"log_group_id,omitempty"`
	Alias             string            `json:"log_stream_name_alias,omitempty"`
	FilterCount       int               `json:"filter_count"`
	Tag               map[string]string `json:"tag"`
	TTLInDays         int               `json:"ttl_in_days"`
	IsFavorite        bool              `json:"is_favorite"`
	WhetherLogStorage bool              `json:"whether_log_storage"`
	HotColdSeparation bool              `json:"hot_cold_separation"`
	AuthWebTracking   bool              `json:"auth_web_tracking"`
}

func toStreamJSON(st catalog.LogStream, groupTTL int, withGroup bool) streamJSON {
	out := streamJSON{
		CreationTime: st.CreatedMS, Name: st.Name, ID: st.ID, Alias: st.Alias, Tag: st.Tags,
		TTLInDays: effectiveTTL(st, groupTTL), WhetherLogStorage: st.LogStorage,
	}
	if withGroup {
		out.GroupID = st.GroupID
	}
	return out
}

// effectiveTTL is the stream's own TTL, or its group's when it has none.
func effectiveTTL(st catalog.LogStream, groupTTL int) int {
	if st.TTLDays > 0 {
		return st.TTLDays
	}
	return groupTTL
}

func checkEnterpriseProject(name string) error {
	if name == "" {
		return nil
	}
	if len(name) > maxNameLen {
		return invalid("enterprise_project_name must be at most %d characters", maxNameLen)
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return invalid("enterprise_project_name may contain only letters, digits, '_' and '-'")
		}
	}
	if strings.EqualFold(name, "default") {
		return invalid("enterprise_project_name must not be %q", name)
	}
	return nil
}

func (s *Service) createStream(w http.ResponseWriter, r *http.Request) error {
	var req createStreamRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if err := checkName("log_stream_name", req.Name); err != nil {
		return err
	}
	if err := checkTTL(req.TTL, false); err != nil {
		return err
	}
	if err := checkAlias("log_stream_name_alias", req.Alias); err != nil {
		return err
	}
	if err := checkEnterpriseProject(req.EnterpriseProject); err != nil {
		return err
	}
	tags, err := tagMap(req.Tags)
	if err != nil {
		return err
	}
	st := catalog.LogStream{
		ID: uuid.NewString(), ProjectID: r.PathValue("project_id"), GroupID: r.PathValue("log_group_id"),
		Name: req.Name, Alias: req.Alias, TTLDays: int(req.TTL.Value), Tags: tags,
		EnterpriseProject: req.EnterpriseProject, LogStorage: true, CreatedMS: s.core.Now().UnixMilli(),
	}
	switch err := s.db.CreateLogStream(r.Context(), st, MaxStreamsPerGroup); {
	case errors.Is(err, catalog.ErrNotFound):
		return ltscore.ErrGroupNotFound
	case errors.Is(err, catalog.ErrExists):
		return ltscore.ErrStreamExists
	case errors.Is(err, catalog.ErrQuota):
		return ltscore.ErrStreamQuota.WithMsg("%s (%d)", ltscore.ErrStreamQuota.Msg, MaxStreamsPerGroup)
	case err != nil:
		return internalFailure(ltscore.ErrCreateStream, err)
	}
	if err := s.reloadStreams(r.Context()); err != nil {
		return err
	}
	wire.WriteJSON(w, http.StatusCreated, map[string]string{"log_stream_id": st.ID})
	return nil
}

func (s *Service) listGroupStreams(w http.ResponseWriter, r *http.Request) error {
	project, groupID := r.PathValue("project_id"), r.PathValue("log_group_id")
	g, err := s.group(r, project, groupID)
	if err != nil {
		return err
	}
	streams, err := s.db.LogStreams(r.Context(), project, catalog.StreamFilter{GroupID: groupID})
	if err != nil {
		return err
	}
	out := make([]streamJSON, 0, len(streams))
	for _, st := range streams {
		out = append(out, toStreamJSON(st, g.TTLDays, false))
	}
	wire.WriteJSON(w, http.StatusOK, streamList{out})
	return nil
}

func (s *Service) listAllStreams(w http.ResponseWriter, r *http.Request) error {
	project, q := r.PathValue("project_id"), r.URL.Query()
	f := catalog.StreamFilter{GroupName: q.Get("log_group_name"), StreamName: q.Get("log_stream_name")}
	for field, v := range map[string]string{"log_group_name": f.GroupName, "log_stream_name": f.StreamName} {
		if len(v) > maxNameLen {
			return invalid("%s must be at most %d characters", field, maxNameLen)
		}
	}
	groups, err := s.db.LogGroups(r.Context(), project)
	if err != nil {
		return err
	}
	ttl := make(map[string]int, len(groups))
	for _, g := range groups {
		ttl[g.ID] = g.TTLDays
	}
	streams, err := s.db.LogStreams(r.Context(), project, f)
	if err != nil {
		return err
	}
	out := make([]streamJSON, 0, len(streams))
	for _, st := range streams {
		out = append(out, toStreamJSON(st, ttl[st.GroupID], true))
	}
	wire.WriteJSON(w, http.StatusOK, streamList{out})
	return nil
}

type updateStreamRequest struct {
	TTL               wire.Int  `json:"ttl_in_days"`
	Tags              *[]tag    `json:"tags"`
	WhetherLogStorage wire.Bool `json:"whether_log_storage"`
}

func (s *Service) updateStream(w http.ResponseWriter, r *http.Request) error {
	var req updateStreamRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if err := checkTTL(req.TTL, true); err != nil {
		return err
	}
	tags, err := tagMap(req.Tags)
	if err != nil {
		return err
	}
	u := catalog.StreamUpdate{TTLDays: int(req.TTL.Value), Tags: tags}
	if req.WhetherLogStorage.Set {
		u.LogStorage = &req.WhetherLogStorage.Value
	}
	project, groupID := r.PathValue("project_id"), r.PathValue("log_group_id")
	if _, err := s.group(r, project, groupID); err != nil {
		return err
	}
	st, err := s.db.UpdateLogStream(r.Context(), project, groupID, r.PathValue("log_stream_id"), u)
	switch {
	case errors.Is(err, catalog.ErrNotFound):
		return ltscore.ErrStreamNotFound
	case err != nil:
		return internalFailure(ltscore.ErrUpdateStream, err)
	}
	if err := s.reloadStreams(r.Context()); err != nil {
		return err
	}
	wire.WriteJSON(w, http.StatusOK, streamUpdated{CreatedMS: st.CreatedMS, ID: st.ID, Name: st.Name, TTLDays: st.TTLDays})
	return nil
}

func (s *Service) deleteStream(w http.ResponseWriter, r *http.Request) error {
	project, groupID := r.PathValue("project_id"), r.PathValue("log_group_id")
	if _, err := s.group(r, project, groupID); err != nil {
		return err
	}
	id := r.PathValue("log_stream_id")
	var inUse *catalog.InUseError
	switch err := s.db.DeleteLogStream(r.Context(), project, groupID, id); {
	case errors.Is(err, catalog.ErrNotFound):
		return ltscore.ErrStreamNotFound
	case errors.As(err, &inUse):
		return ltscore.ErrStreamInTransfer.WithMsg("%s: %s (transfer %s)", ltscore.ErrStreamInTransfer.Msg, id, inUse.TransferID)
	case err != nil:
		return internalFailure(ltscore.ErrDeleteStream, err)
	}
	if err := s.reloadStreams(r.Context()); err != nil {
		return err
	}
	if err := s.core.Logs().DeleteStream(id); err != nil {
		return internalFailure(ltscore.ErrDeleteStream, err)
	}
	wire.NoContent(w)
	return nil
}

// group returns a group of the project, or LTS.0201.
func (s *Service) group(r *http.Request, project, id string) (catalog.LogGroup, error) {
	g, err := s.db.LogGroup(r.Context(), project, id)
	switch {
	case errors.Is(err, catalog.ErrNotFound):
		return g, ltscore.ErrGroupNotFound
	case err != nil:
		return g, err
	}
	return g, nil
}

// streamList is the answer of the stream lists.
type streamList struct {
	Streams []streamJSON `json:"log_streams"`
}

// streamUpdated is the answer of UpdateLogStream, which names a stream a
// topic; its fields are in the order of their JSON names.
type streamUpdated struct {
	CreatedMS int64  `json:"creation_time"`
	ID        string `json:"log_topic_id"`
	Name      string `json:"log_topic_name"`
	TTLDays   int    `json:"ttl_in_days"`
}
