package ltscore

import (
	"context"
	"encoding/json"
	"errors"

	"logtank/internal/apierr"
	"logtank/internal/catalog"
)

// ShipperSettings are a project's choices for the shippers' doors (OTLP,
// Elasticsearch bulk, Loki push, syslog).
type ShipperSettings struct {
	// CreateStreams creates a group or stream that a shipper names and
	// the project does not have yet, within the project's quotas. Off by
	// default: a typo in a shipper's configuration would otherwise make
	// streams nobody looks at.
	CreateStreams bool `json:"create_streams"`
	// TTLDays is the retention of the groups created so.
	TTLDays int `json:"ttl_in_days"`
}

// DefaultShipperTTLDays is the retention of groups created on first use
// when the settings name none.
const DefaultShipperTTLDays = 7

func shipperSettingsKey(project string) string { return "shippers/" + project }

// ShipperSettings returns project's settings for the shippers' doors.
func (c *Core) ShipperSettings(ctx context.Context, project string) (ShipperSettings, error) {
	s := ShipperSettings{TTLDays: DefaultShipperTTLDays}
	v, err := c.db.Setting(ctx, shipperSettingsKey(project))
	switch {
	case errors.Is(err, catalog.ErrNotFound):
		return s, nil
	case err != nil:
		return s, internalFailure(ErrInternal, err)
	}
	if err := json.Unmarshal([]byte(v), &s); err != nil {
		return s, internalFailure(ErrInternal, err)
	}
	return s, nil
}

// SetShipperSettings checks and stores project's settings for the
// shippers' doors.
func (c *Core) SetShipperSettings(ctx context.Context, project string, s ShipperSettings) error {
	if err := checkTTL(TTL{Days: int64(s.TTLDays), Set: true}, true); err != nil {
		return err
	}
	v, _ := json.Marshal(s)
	if err := c.db.PutSetting(ctx, shipperSettingsKey(project), string(v)); err != nil {
		return internalFailure(ErrInternal, err)
	}
	return nil
}

// ResolveForShipper is Resolve for the shippers' doors: when the project
// lets shippers create streams, a group or stream named and missing is
// created (names only; quotas and naming rules apply as through the LTS
// APIs) and the line goes there.
func (c *Core) ResolveForShipper(ctx context.Context, project, group, stream string) (Target, error) {
	t, err := c.Resolve(ctx, project, group, stream)
	if !hasCode(err, ErrGroupNotFound) && !hasCode(err, ErrStreamNotFound) {
		return t, err
	}
	settings, serr := c.ShipperSettings(ctx, project)
	if serr != nil || !settings.CreateStreams {
		return t, err
	}
	if hasCode(err, ErrGroupNotFound) {
		// Two requests may create the same group at once: the loser
		// finds the winner's.
		if _, err := c.CreateGroup(ctx, project, GroupSpec{Name: group, TTL: TTL{Days: int64(settings.TTLDays), Set: true}}); err != nil && !hasCode(err, ErrGroupExists) {
			return Target{}, err
		}
	}
	groupID, err := c.groupID(ctx, project, group)
	if err != nil {
		return Target{}, err
	}
	if _, err := c.CreateStream(ctx, project, groupID, StreamSpec{Name: stream}); err != nil {
		if !hasCode(err, ErrStreamExists) {
			return Target{}, err
		}
		// Made by a concurrent first use, whose reload may not be done:
		// this one's makes sure the cache has it (CreateStream reloads
		// when it makes the stream itself).
		if err := c.reload(ctx); err != nil {
			return Target{}, err
		}
	}
	return c.Resolve(ctx, project, group, stream)
}

// groupID returns the id of project's group with this id or name.
func (c *Core) groupID(ctx context.Context, project, group string) (string, error) {
	groups, err := c.db.LogGroups(ctx, project)
	if err != nil {
		return "", internalFailure(ErrInternal, err)
	}
	for _, g := range groups {
		if g.ID == group || g.Name == group {
			return g.ID, nil
		}
	}
	return "", ErrGroupNotFound.WithMsg("The log group %q is not existed in this project", group)
}

// hasCode reports whether err is the catalogue error e, whatever its
// message.
func hasCode(err error, e *apierr.Error) bool {
	var ae *apierr.Error
	return errors.As(err, &ae) && ae.Code == e.Code
}
