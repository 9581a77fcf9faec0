package lts

import (
	"net/http"

	"logtank/internal/catalog"
	"logtank/internal/ltscore"
	"logtank/internal/wire"
)

type createGroupRequest struct {
	Name  string   `json:"log_group_name"`
	TTL   wire.Int `json:"ttl_in_days"`
	Tags  *[]tag   `json:"tags"`
	Alias string   `json:"log_group_name_alias"`
}

// groupJSON is a log group as the list API returns it.
type groupJSON struct {
	CreationTime int64             `json:"creation_time"`
	Name         string            `json:"log_group_name"`
	ID           string            `json:"log_group_id"`
	TTLInDays    int               `json:"ttl_in_days"`
	Tag          map[string]string `json:"tag"`
	Alias        string            `json:"log_group_name_alias,omitempty"`
}

func toGroupJSON(g catalog.LogGroup) groupJSON {
	return groupJSON{CreationTime: g.CreatedMS, Name: g.Name, ID: g.ID, TTLInDays: g.TTLDays, Tag: g.Tags, Alias: g.Alias}
}

func (s *Service) createGroup(w http.ResponseWriter, r *http.Request) error {
	var req createGroupRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	g, err := s.core.CreateGroup(r.Context(), r.PathValue("project_id"), ltscore.GroupSpec{
		Name: req.Name, Alias: req.Alias, TTL: ttlOf(req.TTL), Tags: tagsOf(req.Tags),
	})
	if err != nil {
		return err
	}
	wire.WriteJSON(w, http.StatusCreated, map[string]string{"log_group_id": g.ID})
	return nil
}

func (s *Service) listGroups(w http.ResponseWriter, r *http.Request) error {
	groups, err := s.db.LogGroups(r.Context(), r.PathValue("project_id"))
	if err != nil {
		return err
	}
	out := make([]groupJSON, 0, len(groups))
	for _, g := range groups {
		out = append(out, toGroupJSON(g))
	}
	wire.WriteJSON(w, http.StatusOK, struct {
		Groups []groupJSON `json:"log_groups"`
	}{out})
	return nil
}

type updateGroupRequest struct {
	TTL  wire.Int `json:"ttl_in_days"`
	Tags *[]tag   `json:"tags"`
}

func (s *Service) updateGroup(w http.ResponseWriter, r *http.Request) error {
	var req updateGroupRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	g, err := s.core.UpdateGroup(r.Context(), r.PathValue("project_id"), r.PathValue("log_group_id"), ttlOf(req.TTL), tagsOf(req.Tags))
	if err != nil {
		return err
	}
	wire.WriteJSON(w, http.StatusOK, groupUpdated{CreatedMS: g.CreatedMS, ID: g.ID, Name: g.Name, TTLDays: g.TTLDays})
	return nil
}

func (s *Service) deleteGroup(w http.ResponseWriter, r *http.Request) error {
	if err := s.core.DeleteGroup(r.Context(), r.PathValue("project_id"), r.PathValue("log_group_id")); err != nil {
		return err
	}
	wire.NoContent(w)
	return nil
}

// groupUpdated is the answer of UpdateLogGroup; its fields are in the
// order of their JSON names, as the answer has always had them.
type groupUpdated struct {
	CreatedMS int64  `json:"creation_time"`
	ID        string `json:"log_group_id"`
	Name      string `json:"log_group_name"`
	TTLDays   int    `json:"ttl_in_days"`
}
