package lts

import (
	"net/http"

	"logtank/internal/catalog"
	"logtank/internal/ltscore"
	"logtank/internal/wire"
)

// criteriaJSON is a saved search as ListCriterias writes it
// (GetQuerySearchCriteriasBody).
type criteriaJSON struct {
	Criteria   string `json:"criteria"`
	Name       string `json:"name"`
	ID         string `json:"id"`
	SearchType string `json:"search_type"`
}

func criteriaOf(list []catalog.SearchCriteria) []criteriaJSON {
	out := make([]criteriaJSON, len(list))
	for i, c := range list {
		out[i] = criteriaJSON{Criteria: c.Criteria, Name: c.Name, ID: c.ID, SearchType: c.SearchType}
	}
	return out
}

// createSearchCriterias is CreateSearchCriterias: a stream ("topic") gets
// a saved search.
func (s *Service) createSearchCriterias(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Criteria   string `json:"criteria"`
		EpsID      string `json:"eps_id"`
		Name       string `json:"name"`
		SearchType string `json:"search_type"`
	}
	if err := decode(r, &req); err != nil {
		return err
	}
	id, err := s.core.CreateSearchCriteria(r.Context(), r.PathValue("project_id"), r.PathValue("group_id"), r.PathValue("topic_id"),
		ltscore.CriteriaSpec{Name: req.Name, Criteria: req.Criteria, SearchType: req.SearchType})
	if err != nil {
		return err
	}
	wire.WriteJSON(w, http.StatusOK, struct {
		ID string `json:"id"`
	}{id})
	return nil
}

// listCriterias is ListCriterias: a stream's saved searches.
func (s *Service) listCriterias(w http.ResponseWriter, r *http.Request) error {
	list, err := s.core.SearchCriterias(r.Context(), r.PathValue("project_id"), r.PathValue("group_id"), r.PathValue("topic_id"), r.URL.Query().Get("search_type"))
	if err != nil {
		return err
	}
	wire.WriteJSON(w, http.StatusOK, struct {
		SearchCriterias []criteriaJSON `json:"search_criterias"`
	}{criteriaOf(list)})
	return nil
}

// deleteSearchCriterias is DeleteSearchCriterias: the body names the id.
func (s *Service) deleteSearchCriterias(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		EpsID string `json:"eps_id"`
		ID    string `json:"id"`
	}
	if err := decode(r, &req); err != nil {
		return err
	}
	if err := s.core.DeleteSearchCriteria(r.Context(), r.PathValue("project_id"), r.PathValue("group_id"), r.PathValue("topic_id"), req.ID); err != nil {
		return err
	}
	wire.WriteJSON(w, http.StatusOK, struct{}{})
	return nil
}

// streamCriteriasJSON is one stream's saved searches of one type
// (SearchCriteriasBody).
type streamCriteriasJSON struct {
	Criterias     []criteriaJSON `json:"criterias"`
	LogStreamID   string         `json:"log_stream_id"`
	LogStreamName string         `json:"log_stream_name"`
	SearchType    string         `json:"search_type"`
}

// listGroupCriterias is ListQueryAllSearchCriterias: a group's saved
// searches, by stream and type.
func (s *Service) listGroupCriterias(w http.ResponseWriter, r *http.Request) error {
	groups, err := s.core.GroupCriterias(r.Context(), r.PathValue("project_id"), r.PathValue("group_id"))
	if err != nil {
		return err
	}
	out := []streamCriteriasJSON{}
	for _, g := range groups {
		for _, t := range []string{ltscore.SearchOriginal, ltscore.SearchVisual} {
			var of []catalog.SearchCriteria
			for _, c := range g.Criterias {
				if c.SearchType == t {
					of = append(of, c)
				}
			}
			if len(of) > 0 {
				out = append(out, streamCriteriasJSON{Criterias: criteriaOf(of), LogStreamID: g.StreamID, LogStreamName: g.StreamName, SearchType: t})
			}
		}
	}
	wire.WriteJSON(w, http.StatusOK, struct {
		SearchCriterias []streamCriteriasJSON `json:"search_criterias"`
	}{out})
	return nil
}

// listHistorySQL is ListHistorySql: the SQL a stream was last queried with.
func (s *Service) listHistorySQL(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	group, stream := q.Get("log_group_id"), q.Get("log_stream_id")
	if group == "" || stream == "" {
		return invalid("the query parameters log_group_id and log_stream_id are required")
	}
	list, err := s.core.SQLHistory(r.Context(), r.PathValue("project_id"), group, stream)
	if err != nil {
		return err
	}
	type result struct {
		LastUseTime  int64  `json:"last_use_time"`
		SQLStatement string `json:"sql_statement"`
	}
	out := make([]result, len(list))
	for i, h := range list {
		out[i] = result{LastUseTime: h.LastUseMS, SQLStatement: h.Statement}
	}
	wire.WriteJSON(w, http.StatusOK, struct {
		Results []result `json:"results"`
	}{out})
	return nil
}

// favoriteJSON is a favourite as Createfavorite answers it.
type favoriteJSON struct {
	CreateTime           int64  `json:"create_time"`
	EpsID                string `json:"eps_id"`
	FavoriteResourceID   string `json:"favorite_resource_id"`
	FavoriteResourceType string `json:"favorite_resource_type"`
	LogGroupID           string `json:"log_group_id"`
	LogGroupName         string `json:"log_group_name"`
	LogStreamID          string `json:"log_stream_id"`
	LogStreamName        string `json:"log_stream_name"`
	ProjectID            string `json:"project_id"`
	IsGlobal             bool   `json:"is_global"`
}

// createFavorite is Createfavorite: a stream marked as a favourite.
func (s *Service) createFavorite(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		EpsID                string    `json:"eps_id"`
		FavoriteResourceID   string    `json:"favorite_resource_id"`
		FavoriteResourceType string    `json:"favorite_resource_type"`
		LogGroupID           string    `json:"log_group_id"`
		LogGroupName         string    `json:"log_group_name"`
		LogStreamID          string    `json:"log_stream_id"`
		LogStreamName        string    `json:"log_stream_name"`
		IsGlobal             wire.Bool `json:"is_global"`
	}
	if err := decode(r, &req); err != nil {
		return err
	}
	if req.LogGroupID == "" || req.LogStreamID == "" {
		return invalid("log_group_id and log_stream_id are required")
	}
	f, err := s.core.CreateFavorite(r.Context(), catalog.Favorite{
		ProjectID: r.PathValue("project_id"), ResourceID: req.FavoriteResourceID, ResourceType: req.FavoriteResourceType,
		GroupID: req.LogGroupID, GroupName: req.LogGroupName, StreamID: req.LogStreamID, StreamName: req.LogStreamName, IsGlobal: req.IsGlobal.Value,
	})
	if err != nil {
		return err
	}
	wire.WriteJSON(w, http.StatusOK, favoriteJSON{CreateTime: f.CreatedMS, EpsID: req.EpsID, FavoriteResourceID: f.ResourceID, FavoriteResourceType: f.ResourceType,
		LogGroupID: f.GroupID, LogGroupName: f.GroupName, LogStreamID: f.StreamID, LogStreamName: f.StreamName, ProjectID: f.ProjectID, IsGlobal: f.IsGlobal})
	return nil
}

// deleteFavorite is Deletefavorite.
func (s *Service) deleteFavorite(w http.ResponseWriter, r *http.Request) error {
	if err := s.core.DeleteFavorite(r.Context(), r.PathValue("project_id"), r.PathValue("fav_res_id")); err != nil {
		return err
	}
	wire.WriteJSON(w, http.StatusOK, struct{}{})
	return nil
}
