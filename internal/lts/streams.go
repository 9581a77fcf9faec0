package lts

import (
	"net/http"

	"logtank/internal/catalog"
	"logtank/internal/ltscore"
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

func toStreamJSON(st catalog.LogStream, groupTTL int, withGroup, favorite bool) streamJSON {
	out := streamJSON{
		CreationTime: st.CreatedMS, Name: st.Name, ID: st.ID, Alias: st.Alias, Tag: st.Tags,
		TTLInDays: effectiveTTL(st, groupTTL), WhetherLogStorage: st.LogStorage, IsFavorite: favorite,
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

func (s *Service) createStream(w http.ResponseWriter, r *http.Request) error {
	var req createStreamRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	st, err := s.core.CreateStream(r.Context(), r.PathValue("project_id"), r.PathValue("log_group_id"), ltscore.StreamSpec{
		Name: req.Name, Alias: req.Alias, EnterpriseProject: req.EnterpriseProject, TTL: ttlOf(req.TTL), Tags: tagsOf(req.Tags),
	})
	if err != nil {
		return err
	}
	wire.WriteJSON(w, http.StatusCreated, map[string]string{"log_stream_id": st.ID})
	return nil
}

func (s *Service) listGroupStreams(w http.ResponseWriter, r *http.Request) error {
	project, groupID := r.PathValue("project_id"), r.PathValue("log_group_id")
	g, err := s.core.Group(r.Context(), project, groupID)
	if err != nil {
		return err
	}
	streams, err := s.db.LogStreams(r.Context(), project, catalog.StreamFilter{GroupID: groupID})
	if err != nil {
		return err
	}
	favorite, err := s.db.FavoriteStreams(r.Context(), project)
	if err != nil {
		return err
	}
	out := make([]streamJSON, 0, len(streams))
	for _, st := range streams {
		out = append(out, toStreamJSON(st, g.TTLDays, false, favorite[st.ID]))
	}
	wire.WriteJSON(w, http.StatusOK, streamList{out})
	return nil
}

func (s *Service) listAllStreams(w http.ResponseWriter, r *http.Request) error {
	project, q := r.PathValue("project_id"), r.URL.Query()
	f := catalog.StreamFilter{GroupName: q.Get("log_group_name"), StreamName: q.Get("log_stream_name")}
	for field, v := range map[string]string{"log_group_name": f.GroupName, "log_stream_name": f.StreamName} {
		if len(v) > ltscore.MaxNameLen {
			return invalid("%s must be at most %d characters", field, ltscore.MaxNameLen)
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
	favorite, err := s.db.FavoriteStreams(r.Context(), project)
	if err != nil {
		return err
	}
	out := make([]streamJSON, 0, len(streams))
	for _, st := range streams {
		out = append(out, toStreamJSON(st, ttl[st.GroupID], true, favorite[st.ID]))
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
	change := ltscore.StreamChange{TTL: ttlOf(req.TTL), Tags: tagsOf(req.Tags)}
	if req.WhetherLogStorage.Set {
		change.LogStorage = &req.WhetherLogStorage.Value
	}
	st, err := s.core.UpdateStream(r.Context(), r.PathValue("project_id"), r.PathValue("log_group_id"), r.PathValue("log_stream_id"), change)
	if err != nil {
		return err
	}
	wire.WriteJSON(w, http.StatusOK, streamUpdated{CreatedMS: st.CreatedMS, ID: st.ID, Name: st.Name, TTLDays: st.TTLDays})
	return nil
}

func (s *Service) deleteStream(w http.ResponseWriter, r *http.Request) error {
	if err := s.core.DeleteStream(r.Context(), r.PathValue("project_id"), r.PathValue("log_group_id"), r.PathValue("log_stream_id")); err != nil {
		return err
	}
	wire.NoContent(w)
	return nil
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
