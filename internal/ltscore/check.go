package ltscore

import "context"

// CheckSearch checks, for a job that will run it later (an alarm rule),
// that the stream is the project's (and group's) and that keywords parse
// as a search of it: the errors of Search, without running it.
func (c *Core) CheckSearch(ctx context.Context, project, group, stream, keywords string) error {
	if _, err := c.stream(ctx, project, group, stream); err != nil {
		return err
	}
	_, _, err := c.matcher(stream, keywords, nil)
	return err
}

// CheckSQL is CheckSearch for "search | SQL" (or plain SQL) text, whose
// errors name the request field.
func (c *Core) CheckSQL(ctx context.Context, project, group, stream, text, field string) error {
	search, sql := SplitQuery(text)
	if err := c.CheckSearch(ctx, project, group, stream, search); err != nil {
		return err
	}
	_, err := parseSQL(field, sql, false)
	return err
}

// SplitQuery reads the text of an SQL alarm: "search | SQL", or SQL alone
// over every line when there is no pipe.
func SplitQuery(text string) (search, sql string) {
	search, sql = SplitPipe(text)
	if sql == "" {
		return "", text
	}
	return search, sql
}
