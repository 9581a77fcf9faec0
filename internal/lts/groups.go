package lts

import (
	"errors"
	"logtank/internal/ltscore"
	"net/http"

	"github.com/google/uuid"

	"logtank/internal/catalog"
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
	if err := checkName("log_group_name", req.Name); err != nil {
		return err
	}
	if err := checkTTL(req.TTL, true); err != nil {
		return err
	}
	if err := checkAlias("log_group_name_alias", req.Alias); err != nil {
		return err
	}
	tags, err := tagMap(req.Tags)
	if err != nil {
		return err
	}
	g := catalog.LogGroup{
		ID: uuid.NewString(), ProjectID: r.PathValue("project_id"), Name: req.Name, Alias: req.Alias,
		TTLDays: int(req.TTL.Value), Tags: tags, CreatedMS: s.core.Now().UnixMilli(),
	}
	switch err := s.db.CreateLogGroup(r.Context(), g, MaxGroupsPerProject); {
	case errors.Is(err, catalog.ErrExists):
		return ltscore.ErrGroupExists
	case errors.Is(err, catalog.ErrQuota):
		return ltscore.ErrGroupQuota.WithMsg("%s (%d)", ltscore.ErrGroupQuota.Msg, MaxGroupsPerProject)
	case err != nil:
		return internalFailure(ltscore.ErrCreateGroup, err)
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
	if err := checkTTL(req.TTL, true); err != nil {
		return err
	}
	tags, err := tagMap(req.Tags)
	if err != nil {
		return err
	}
	g, err := s.db.UpdateLogGroup(r.Context(), r.PathValue("project_id"), r.PathValue("log_group_id"), int(req.TTL.Value), tags)
	switch {
	case errors.Is(err, catalog.ErrNotFound):
		return ltscore.ErrGroupNotFound
	case err != nil:
		return internalFailure(ltscore.ErrUpdateGroup, err)
	}
	if err := s.reloadStreams(r.Context()); err != nil {
		return err
	}
	wire.WriteJSON(w, http.StatusOK, groupUpdated{CreatedMS: g.CreatedMS, ID: g.ID, Name: g.Name, TTLDays: g.TTLDays})
	return nil
}

func (s *Service) deleteGroup(w http.ResponseWriter, r *http.Request) error {
	project, groupID := r.PathValue("project_id"), r.PathValue("log_group_id")
	streams, err := s.db.LogStreams(r.Context(), project, catalog.StreamFilter{GroupID: groupID})
	if err != nil {
		return internalFailure(ltscore.ErrDeleteGroup, err)
	}
	var inUse *catalog.InUseError
	switch err := s.db.DeleteLogGroup(r.Context(), project, groupID); {
	case errors.Is(err, catalog.ErrNotFound):
		return ltscore.ErrGroupNotFound
	case errors.As(err, &inUse):
		return ltscore.ErrGroupInTransfer.WithMsg("%s (transfer %s)", ltscore.ErrGroupInTransfer.Msg, inUse.TransferID)
	case err != nil:
		return internalFailure(ltscore.ErrDeleteGroup, err)
	}
	if err := s.reloadStreams(r.Context()); err != nil {
		return err
	}
	// The catalog no longer has the streams: should removing their logs
	// fail now, the next start removes them.
	for _, st := range streams {
		if err := s.core.Logs().DeleteStream(st.ID); err != nil {
			return internalFailure(ltscore.ErrDeleteGroup, err)
		}
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
