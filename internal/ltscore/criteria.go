package ltscore

import (
	"context"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"logtank/internal/catalog"
)

// Saved searches (LTS "search criterias"), SQL history and favourite
// streams: what the console keeps for a person, through LTS's own APIs.
const (
	// SearchOriginal and SearchVisual are the search_type of a saved
	// search: a search of the lines, or SQL.
	SearchOriginal = "ORIGINALLOG"
	SearchVisual   = "VISUALIZATION"
	// MaxCriteriaPerStream bounds a stream's saved searches.
	MaxCriteriaPerStream = 100
	// MaxCriteriaName is the longest name of a saved search, in characters.
	MaxCriteriaName = 64
	// SQLHistoryKept is how many statements a stream's history keeps.
	SQLHistoryKept = 20
)

// CriteriaSpec is a saved search to create.
type CriteriaSpec struct {
	Name, Criteria, SearchType string
}

// CreateSearchCriteria saves a search of a stream and returns its id.
func (c *Core) CreateSearchCriteria(ctx context.Context, project, group, stream string, spec CriteriaSpec) (string, error) {
	if err := checkCriteriaType(spec.SearchType, false); err != nil {
		return "", err
	}
	name := strings.TrimSpace(spec.Name)
	if name == "" || utf8.RuneCountInString(name) > MaxCriteriaName {
		return "", Invalid("name must be 1 to %d characters", MaxCriteriaName)
	}
	if strings.TrimSpace(spec.Criteria) == "" {
		return "", Invalid("criteria is required")
	}
	if len(spec.Criteria) > MaxSQLChars {
		return "", Invalid("criteria must be at most %d characters", MaxSQLChars)
	}
	if _, err := c.stream(ctx, project, group, stream); err != nil {
		return "", err
	}
	s := catalog.SearchCriteria{ID: uuid.NewString(), ProjectID: project, GroupID: group, StreamID: stream,
		Name: name, Criteria: spec.Criteria, SearchType: spec.SearchType, CreatedMS: c.now().UnixMilli()}
	switch err := c.db.CreateSearchCriteria(ctx, s, MaxCriteriaPerStream); {
	case errors.Is(err, catalog.ErrExists):
		return "", ErrCriteriaExists.WithMsg("A saved search named %q of type %s exists in the log stream", name, spec.SearchType)
	case errors.Is(err, catalog.ErrQuota):
		return "", ErrCriteriaQuota.WithMsg("The log stream has %d saved searches, the most allowed", MaxCriteriaPerStream)
	case errors.Is(err, catalog.ErrNotFound):
		return "", ErrStreamNotFound
	case err != nil:
		return "", internalFailure(ErrInternal, err)
	}
	return s.ID, nil
}

func checkCriteriaType(t string, optional bool) error {
	if (optional && t == "") || t == SearchOriginal || t == SearchVisual {
		return nil
	}
	return NotInList("search_type", SearchOriginal, SearchVisual)
}

// SearchCriterias lists a stream's saved searches, of one type when
// searchType is not empty.
func (c *Core) SearchCriterias(ctx context.Context, project, group, stream, searchType string) ([]catalog.SearchCriteria, error) {
	if err := checkCriteriaType(searchType, true); err != nil {
		return nil, err
	}
	if _, err := c.stream(ctx, project, group, stream); err != nil {
		return nil, err
	}
	out, err := c.db.SearchCriterias(ctx, project, group, stream, searchType)
	if err != nil {
		return nil, internalFailure(ErrInternal, err)
	}
	return out, nil
}

// StreamCriterias are the saved searches of one stream of a group.
type StreamCriterias struct {
	StreamID, StreamName string
	Criterias            []catalog.SearchCriteria
}

// GroupCriterias lists the saved searches of every stream of a group that
// has any, by stream in the order the streams were created.
func (c *Core) GroupCriterias(ctx context.Context, project, group string) ([]StreamCriterias, error) {
	if _, err := c.db.LogGroup(ctx, project, group); err != nil {
		if errors.Is(err, catalog.ErrNotFound) {
			return nil, ErrGroupNotFound
		}
		return nil, internalFailure(ErrInternal, err)
	}
	all, err := c.db.SearchCriterias(ctx, project, group, "", "")
	if err != nil {
		return nil, internalFailure(ErrInternal, err)
	}
	streams, err := c.db.LogStreams(ctx, project, catalog.StreamFilter{GroupID: group})
	if err != nil {
		return nil, internalFailure(ErrInternal, err)
	}
	out := []StreamCriterias{}
	for _, s := range streams {
		sc := StreamCriterias{StreamID: s.ID, StreamName: s.Name}
		for _, x := range all {
			if x.StreamID == s.ID {
				sc.Criterias = append(sc.Criterias, x)
			}
		}
		if len(sc.Criterias) > 0 {
			out = append(out, sc)
		}
	}
	return out, nil
}

// DeleteSearchCriteria removes a saved search of a stream.
func (c *Core) DeleteSearchCriteria(ctx context.Context, project, group, stream, id string) error {
	if strings.TrimSpace(id) == "" {
		return Invalid("id is required")
	}
	if _, err := c.stream(ctx, project, group, stream); err != nil {
		return err
	}
	switch err := c.db.DeleteSearchCriteria(ctx, project, group, stream, id); {
	case errors.Is(err, catalog.ErrNotFound):
		return ErrCriteriaNotFound.WithMsg("The log stream has no saved search %q", id)
	case err != nil:
		return internalFailure(ErrInternal, err)
	}
	return nil
}

// recordSQL notes a statement a stream was queried with, written in the
// background (see sqlNotes); a failure only loses history, so it is not
// the query's failure.
func (c *Core) recordSQL(ref catalog.StreamRef, statement string) {
	c.notes.add(sqlNote{ref: ref, statement: statement, ms: c.now().UnixMilli()})
}

// SQLHistory lists the statements a stream was last queried with.
func (c *Core) SQLHistory(ctx context.Context, project, group, stream string) ([]catalog.SQLHistory, error) {
	if _, err := c.stream(ctx, project, group, stream); err != nil {
		return nil, err
	}
	// Others' notes are written too: not stopped when this client goes.
	c.notes.flush(context.WithoutCancel(ctx))
	out, err := c.db.SQLHistoryOf(ctx, project, group, stream)
	if err != nil {
		return nil, internalFailure(ErrInternal, err)
	}
	return out, nil
}

// CreateFavorite marks a stream as a favourite under the client's
// resource id (replacing a favourite with that id).
func (c *Core) CreateFavorite(ctx context.Context, f catalog.Favorite) (catalog.Favorite, error) {
	switch {
	case strings.TrimSpace(f.ResourceID) == "":
		return f, Invalid("favorite_resource_id is required")
	case f.ResourceType == "":
		return f, Invalid("favorite_resource_type is required")
	case !f.IsGlobal:
		return f, Invalid("is_global must be true")
	}
	ref, err := c.stream(ctx, f.ProjectID, f.GroupID, f.StreamID)
	if err != nil {
		return f, err
	}
	f.GroupID, f.CreatedMS = ref.GroupID, c.now().UnixMilli()
	switch err := c.db.PutFavorite(ctx, f); {
	case errors.Is(err, catalog.ErrNotFound):
		return f, ErrStreamNotFound
	case err != nil:
		return f, internalFailure(ErrInternal, err)
	}
	return f, nil
}

// DeleteFavorite removes a favourite by its resource id.
func (c *Core) DeleteFavorite(ctx context.Context, project, resourceID string) error {
	switch err := c.db.DeleteFavorite(ctx, project, resourceID); {
	case errors.Is(err, catalog.ErrNotFound):
		return ErrFavoriteNotFound.WithMsg("There is no favorite %q", resourceID)
	case err != nil:
		return internalFailure(ErrInternal, err)
	}
	return nil
}
