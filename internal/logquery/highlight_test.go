package logquery

import "testing"

func TestHighlight(t *testing.T) {
	const seed = "2020-07-25/14:44:42 this log is Error NO 1\n"
	tests := []struct {
		keywords, content, want string
	}{
		// seed 004 §5.3.1 response example
		{"log", seed, "2020-07-25/14:44:42 this <HighLightTag>log</HighLightTag> is Error NO 1\n"},
		{"error", seed, "2020-07-25/14:44:42 this log is <HighLightTag>Error</HighLightTag> NO 1\n"},
		{"log error", seed, "2020-07-25/14:44:42 this <HighLightTag>log</HighLightTag> is <HighLightTag>Error</HighLightTag> NO 1\n"},
		{"log or nothing", seed, "2020-07-25/14:44:42 this <HighLightTag>log</HighLightTag> is Error NO 1\n"},
		{"2020-07-*", seed, "<HighLightTag>2020-07-25</HighLightTag>/14:44:42 this log is Error NO 1\n"},
		{"l?g", seed, "2020-07-25/14:44:42 this <HighLightTag>log</HighLightTag> is Error NO 1\n"},
		{`"14:44"`, seed, "2020-07-25/<HighLightTag>14</HighLightTag>:<HighLightTag>44</HighLightTag>:42 this log is Error NO 1\n"},
		{`#"is error"`, seed, "2020-07-25/14:44:42 this log <HighLightTag>is</HighLightTag> <HighLightTag>Error</HighLightTag> NO 1\n"},
		// every occurrence, any case
		{"error", "Error ERROR error errors", "<HighLightTag>Error</HighLightTag> <HighLightTag>ERROR</HighLightTag> <HighLightTag>error</HighLightTag> errors"},
		{"err*", "Error, errors; err=1", "<HighLightTag>Error</HighLightTag>, <HighLightTag>errors</HighLightTag>; <HighLightTag>err</HighLightTag>=1"},
		// only whole phrase occurrences
		{`#"is error"`, "is error, is not error", "<HighLightTag>is</HighLightTag> <HighLightTag>error</HighLightTag>, is not error"},
		{`#"a a"`, "a a a b a", "<HighLightTag>a</HighLightTag> <HighLightTag>a</HighLightTag> <HighLightTag>a</HighLightTag> b a"},
		// search words with delimiters
		{"var/log", "path=/var/log/app.log", "path=/<HighLightTag>var</HighLightTag>/<HighLightTag>log</HighLightTag>/app.log"},
		// negated terms and label field searches are not highlighted; content: is
		{"log not error", seed, "2020-07-25/14:44:42 this <HighLightTag>log</HighLightTag> is Error NO 1\n"},
		{"not (log or error)", seed, seed},
		{"not not log", seed, "2020-07-25/14:44:42 this <HighLightTag>log</HighLightTag> is Error NO 1\n"},
		{"hostName:log", seed, seed},
		{"hostName:log or this", seed, "2020-07-25/14:44:42 <HighLightTag>this</HighLightTag> log is Error NO 1\n"},
		{"content:log", seed, "2020-07-25/14:44:42 this <HighLightTag>log</HighLightTag> is Error NO 1\n"},
		{"log not log", seed, "2020-07-25/14:44:42 this <HighLightTag>log</HighLightTag> is Error NO 1\n"},
		// nothing to highlight: unchanged
		{"", seed, seed},
		{"content:*", seed, seed},
		{"nothing", seed, seed},
		{`#"error is"`, seed, seed},
		{"code>1", seed, seed},
		// other bytes are kept as they are
		{"b", "a\tb\r\n\"b\" é b", "a\t<HighLightTag>b</HighLightTag>\r\n\"<HighLightTag>b</HighLightTag>\" é <HighLightTag>b</HighLightTag>"},
		{"日志", "写日志 日志", "写日志 <HighLightTag>日志</HighLightTag>"},
	}
	for _, tt := range tests {
		if got := mustParse(t, tt.keywords, nil).Highlight(tt.content); got != tt.want {
			t.Errorf("Highlight(%q) on %q\n got %q\nwant %q", tt.keywords, tt.content, got, tt.want)
		}
	}
}
