package ltscore

import (
	"context"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"logtank/internal/apierr"
	"logtank/internal/catalog"
)

// Quotas and naming rules of groups and streams, as documented.
const (
	MaxGroupsPerProject = 100
	MaxStreamsPerGroup  = 100
	MinTTLDays          = 1
	MaxTTLDays          = 365
	MaxNameLen          = 64
	maxTags             = 20
	maxTagKeyLen        = 128
	maxTagValueLen      = 255
)

// Tag is one tag of a group or stream.
type Tag struct{ Key, Value string }

// TTL is a number of days a request may leave out.
type TTL struct {
	Days int64
	Set  bool
}

// GroupSpec is a group to create.
type GroupSpec struct {
	Name, Alias string
	TTL         TTL
	// Tags is nil when the request carried none.
	Tags []Tag
}

// StreamSpec is a stream to create in a group.
type StreamSpec struct {
	Name, Alias, EnterpriseProject string
	TTL                            TTL
	Tags                           []Tag
}

// StreamChange is what an update of a stream sets.
type StreamChange struct {
	TTL        TTL
	Tags       []Tag
	LogStorage *bool
}

// CreateGroup checks and creates a group of project, within its quota.
func (c *Core) CreateGroup(ctx context.Context, project string, spec GroupSpec) (catalog.LogGroup, error) {
	if err := CheckName("log_group_name", spec.Name); err != nil {
		return catalog.LogGroup{}, err
	}
	if err := checkTTL(spec.TTL, true); err != nil {
		return catalog.LogGroup{}, err
	}
	if err := checkAlias("log_group_name_alias", spec.Alias); err != nil {
		return catalog.LogGroup{}, err
	}
	tags, err := tagMap(spec.Tags)
	if err != nil {
		return catalog.LogGroup{}, err
	}
	g := catalog.LogGroup{
		ID: uuid.NewString(), ProjectID: project, Name: spec.Name, Alias: spec.Alias,
		TTLDays: int(spec.TTL.Days), Tags: tags, CreatedMS: c.now().UnixMilli(),
	}
	switch err := c.db.CreateLogGroup(ctx, g, MaxGroupsPerProject); {
	case errors.Is(err, catalog.ErrExists):
		return g, ErrGroupExists
	case errors.Is(err, catalog.ErrQuota):
		return g, ErrGroupQuota.WithMsg("%s (%d)", ErrGroupQuota.Msg, MaxGroupsPerProject)
	case err != nil:
		return g, internalFailure(ErrCreateGroup, err)
	}
	return g, nil
}

// UpdateGroup sets a group's TTL (required) and, when given, its tags.
func (c *Core) UpdateGroup(ctx context.Context, project, id string, ttl TTL, tags []Tag) (catalog.LogGroup, error) {
	if err := checkTTL(ttl, true); err != nil {
		return catalog.LogGroup{}, err
	}
	m, err := tagMap(tags)
	if err != nil {
		return catalog.LogGroup{}, err
	}
	g, err := c.db.UpdateLogGroup(ctx, project, id, int(ttl.Days), m)
	switch {
	case errors.Is(err, catalog.ErrNotFound):
		return g, ErrGroupNotFound
	case err != nil:
		return g, internalFailure(ErrUpdateGroup, err)
	}
	return g, c.reload(ctx)
}

// DeleteGroup deletes a group, its streams and their logs, unless a
// transfer holds it.
func (c *Core) DeleteGroup(ctx context.Context, project, id string) error {
	streams, err := c.db.LogStreams(ctx, project, catalog.StreamFilter{GroupID: id})
	if err != nil {
		return internalFailure(ErrDeleteGroup, err)
	}
	var inUse *catalog.InUseError
	switch err := c.db.DeleteLogGroup(ctx, project, id); {
	case errors.Is(err, catalog.ErrNotFound):
		return ErrGroupNotFound
	case errors.As(err, &inUse):
		return ErrGroupInTransfer.WithMsg("%s (transfer %s)", ErrGroupInTransfer.Msg, inUse.TransferID)
	case err != nil:
		return internalFailure(ErrDeleteGroup, err)
	}
	if err := c.reload(ctx); err != nil {
		return err
	}
	// The catalog no longer has the streams: should removing their logs
	// fail now, the next start removes them.
	for _, st := range streams {
		if err := c.dropLogs(ctx, st.ID); err != nil {
			return internalFailure(ErrDeleteGroup, err)
		}
	}
	return nil
}

// Group returns a group of project, or LTS.0201.
func (c *Core) Group(ctx context.Context, project, id string) (catalog.LogGroup, error) {
	g, err := c.db.LogGroup(ctx, project, id)
	switch {
	case errors.Is(err, catalog.ErrNotFound):
		return g, ErrGroupNotFound
	case err != nil:
		return g, internalFailure(ErrInternal, err)
	}
	return g, nil
}

// CreateStream checks and creates a stream in a group of project, within
// the group's quota.
func (c *Core) CreateStream(ctx context.Context, project, group string, spec StreamSpec) (catalog.LogStream, error) {
	if err := CheckName("log_stream_name", spec.Name); err != nil {
		return catalog.LogStream{}, err
	}
	if err := checkTTL(spec.TTL, false); err != nil {
		return catalog.LogStream{}, err
	}
	if err := checkAlias("log_stream_name_alias", spec.Alias); err != nil {
		return catalog.LogStream{}, err
	}
	if err := checkEnterpriseProject(spec.EnterpriseProject); err != nil {
		return catalog.LogStream{}, err
	}
	tags, err := tagMap(spec.Tags)
	if err != nil {
		return catalog.LogStream{}, err
	}
	st := catalog.LogStream{
		ID: uuid.NewString(), ProjectID: project, GroupID: group,
		Name: spec.Name, Alias: spec.Alias, TTLDays: int(spec.TTL.Days), Tags: tags,
		EnterpriseProject: spec.EnterpriseProject, LogStorage: true, CreatedMS: c.now().UnixMilli(),
	}
	switch err := c.db.CreateLogStream(ctx, st, MaxStreamsPerGroup); {
	case errors.Is(err, catalog.ErrNotFound):
		return st, ErrGroupNotFound
	case errors.Is(err, catalog.ErrExists):
		return st, ErrStreamExists
	case errors.Is(err, catalog.ErrQuota):
		return st, ErrStreamQuota.WithMsg("%s (%d)", ErrStreamQuota.Msg, MaxStreamsPerGroup)
	case err != nil:
		return st, internalFailure(ErrCreateStream, err)
	}
	return st, c.reload(ctx)
}

// UpdateStream sets a stream's TTL (required), its tags and whether its
// logs are stored.
func (c *Core) UpdateStream(ctx context.Context, project, group, id string, change StreamChange) (catalog.LogStream, error) {
	if err := checkTTL(change.TTL, true); err != nil {
		return catalog.LogStream{}, err
	}
	tags, err := tagMap(change.Tags)
	if err != nil {
		return catalog.LogStream{}, err
	}
	if _, err := c.Group(ctx, project, group); err != nil {
		return catalog.LogStream{}, err
	}
	st, err := c.db.UpdateLogStream(ctx, project, group, id, catalog.StreamUpdate{TTLDays: int(change.TTL.Days), Tags: tags, LogStorage: change.LogStorage})
	switch {
	case errors.Is(err, catalog.ErrNotFound):
		return st, ErrStreamNotFound
	case err != nil:
		return st, internalFailure(ErrUpdateStream, err)
	}
	return st, c.reload(ctx)
}

// DeleteStream deletes a stream and its logs, unless a transfer holds it.
func (c *Core) DeleteStream(ctx context.Context, project, group, id string) error {
	if _, err := c.Group(ctx, project, group); err != nil {
		return err
	}
	var inUse *catalog.InUseError
	switch err := c.db.DeleteLogStream(ctx, project, group, id); {
	case errors.Is(err, catalog.ErrNotFound):
		return ErrStreamNotFound
	case errors.As(err, &inUse):
		return ErrStreamInTransfer.WithMsg("%s: %s (transfer %s)", ErrStreamInTransfer.Msg, id, inUse.TransferID)
	case err != nil:
		return internalFailure(ErrDeleteStream, err)
	}
	if err := c.reload(ctx); err != nil {
		return err
	}
	if err := c.dropLogs(ctx, id); err != nil {
		return internalFailure(ErrDeleteStream, err)
	}
	return nil
}

// internalFailure wraps an unexpected failure in the operation's own
// error; the server logs the cause and sends only the catalogue message.
func internalFailure(e *apierr.Error, cause error) error {
	return &apierr.Internal{Err: e, Cause: cause}
}

// CheckName applies the naming rule of groups and streams: 1-64 letters,
// digits, '_', '-' and '.', not starting with '.' or '_', not ending with '.'.
func CheckName(field, name string) error {
	if name == "" {
		return Invalid("%s is required", field)
	}
	if len(name) > MaxNameLen {
		return Invalid("%s must be at most %d characters", field, MaxNameLen)
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			return Invalid("%s may contain only letters, digits, '_', '-' and '.', found %q", field, c)
		}
	}
	if name[0] == '.' || name[0] == '_' || name[len(name)-1] == '.' {
		return Invalid("%s must not start with '.' or '_' nor end with '.'", field)
	}
	return nil
}

func checkAlias(field, alias string) error {
	if utf8.RuneCountInString(alias) > MaxNameLen {
		return Invalid("%s must be at most %d characters", field, MaxNameLen)
	}
	return nil
}

func checkTTL(ttl TTL, required bool) error {
	if !ttl.Set {
		if required {
			return Invalid("ttl_in_days is required")
		}
		return nil
	}
	if ttl.Days < MinTTLDays || ttl.Days > MaxTTLDays {
		return Invalid("ttl_in_days must be between %d and %d, got %d", MinTTLDays, MaxTTLDays, ttl.Days)
	}
	return nil
}

func checkEnterpriseProject(name string) error {
	if name == "" {
		return nil
	}
	if len(name) > MaxNameLen {
		return Invalid("enterprise_project_name must be at most %d characters", MaxNameLen)
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return Invalid("enterprise_project_name may contain only letters, digits, '_' and '-'")
		}
	}
	if strings.EqualFold(name, "default") {
		return Invalid("enterprise_project_name must not be %q", name)
	}
	return nil
}

// tagMap validates tags and turns them into the map the list APIs return.
// It returns nil when the request carried no tags.
func tagMap(tags []Tag) (map[string]string, error) {
	if tags == nil {
		return nil, nil
	}
	if len(tags) > maxTags {
		return nil, Invalid("tags may hold at most %d tags", maxTags)
	}
	m := make(map[string]string, len(tags))
	for i, t := range tags {
		switch {
		case t.Key == "" || utf8.RuneCountInString(t.Key) > maxTagKeyLen:
			return nil, Invalid("tags[%d].key must be 1-%d characters", i, maxTagKeyLen)
		case utf8.RuneCountInString(t.Value) > maxTagValueLen:
			return nil, Invalid("tags[%d].value must be at most %d characters", i, maxTagValueLen)
		case strings.HasPrefix(t.Key, "_sys_"):
			return nil, Invalid("tags[%d].key must not start with the reserved prefix _sys_", i)
		}
		if _, dup := m[t.Key]; dup {
			return nil, Invalid("tags[%d].key %q is repeated", i, t.Key)
		}
		m[t.Key] = t.Value
	}
	return m, nil
}
