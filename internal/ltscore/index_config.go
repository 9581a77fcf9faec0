package ltscore

import (
	"context"
	"encoding/json"
	"errors"

	"logtank/internal/apierr"
	"logtank/internal/catalog"
	"logtank/internal/logquery"
	"logtank/internal/structuring"
)

// DefaultFastAnalysisSampleCount is the fastAnalysisSampleCount of a
// stream's index configuration when none is given.
const DefaultFastAnalysisSampleCount = 100_000

// SetIndexConfig makes cfg the stream's index configuration; the searches
// that follow use it.
func (c *Core) SetIndexConfig(ctx context.Context, project, group, stream string, cfg structuring.IndexConfig) error {
	if err := c.CheckStream(ctx, project, group, stream); err != nil {
		return err
	}
	text, err := json.Marshal(cfg)
	if err != nil {
		return &apierr.Internal{Err: ErrInternal, Cause: err}
	}
	ic := catalog.IndexConfig{StreamID: stream, ProjectID: project, GroupID: group, Config: string(text), UpdatedMS: c.now().UnixMilli()}
	return c.streamConfigSaved(ctx, c.db.PutIndexConfig(ctx, ic))
}

// IndexConfig returns the stream's index configuration, or the default
// one and false when it was never given one.
func (c *Core) IndexConfig(ctx context.Context, project, group, stream string) (structuring.IndexConfig, bool, error) {
	if err := c.CheckStream(ctx, project, group, stream); err != nil {
		return structuring.IndexConfig{}, false, err
	}
	ic, err := c.db.IndexConfigOfStream(ctx, project, stream)
	switch {
	case errors.Is(err, catalog.ErrNotFound):
		return defaultIndexConfig(stream), false, nil
	case err != nil:
		return structuring.IndexConfig{}, false, &apierr.Internal{Err: ErrInternal, Cause: err}
	}
	var cfg structuring.IndexConfig
	if err := json.Unmarshal([]byte(ic.Config), &cfg); err != nil {
		return structuring.IndexConfig{}, false, &apierr.Internal{Err: ErrInternal, Cause: err}
	}
	return cfg, true, nil
}

// defaultIndexConfig is the configuration of a stream that was never given
// one: full text indexed, case-insensitive, with the default delimiters.
func defaultIndexConfig(stream string) structuring.IndexConfig {
	return structuring.IndexConfig{
		FullTextIndex: structuring.FullTextIndex{Enable: true, Tokenizer: logquery.DefaultDelimiters},
		Fields:        []structuring.FieldIndex{}, LogStreamId: stream,
		FastAnalysisSampleCount: DefaultFastAnalysisSampleCount,
	}
}
