package structuring

import (
	"regexp"
	"testing"
)

// Real-world shaped access log lines (synthetic: the shared datasets hold
// no access log).
const (
	nginxLine  = `192.168.1.10 - alice [27/Jul/2020:08:59:53 +0800] "GET /api/v1/items?id=7 HTTP/1.1" 200 5123 "https://example.com/" "Mozilla/5.0 (X11; Linux x86_64) Firefox/79.0"`
	apacheLine = `127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326`
)

func TestNginxDefaultCombined(t *testing.T) {
	p := mustCompile(t, Rule{Kind: KindNginx})
	check(t, p, nginxLine, []Field{
		{Name: "remote_addr", Str: "192.168.1.10"},
		{Name: "remote_user", Str: "alice"},
		{Name: "time_local", Str: "27/Jul/2020:08:59:53 +0800"},
		{Name: "request", Str: "GET /api/v1/items?id=7 HTTP/1.1"},
		{Name: "status", Type: Long, Int: 200},
		{Name: "body_bytes_sent", Type: Long, Int: 5123},
		{Name: "http_referer", Str: "https://example.com/"},
		{Name: "http_user_agent", Str: "Mozilla/5.0 (X11; Linux x86_64) Firefox/79.0"},
	}, Result{Matched: true})
	check(t, p, "not an access log", nil, Result{})
}

func TestNginxCustomFormat(t *testing.T) {
	format := `log_format main escape=json '$remote_addr [$time_local] "$request" '
		'$status $request_time ${upstream_addr}|$msec';`
	r := Rule{Kind: KindNginx, LogFormat: format, Fields: []FieldSpec{
		{Key: "status", Name: "code", Type: Long},
		{Key: "request_time", Name: "request_time", Type: Float},
		{Key: "upstream_addr", Name: "upstream"},
	}}
	p := mustCompile(t, r)
	check(t, p, `10.0.0.1 [x] "GET / HTTP/1.1" 502 0.125 10.0.0.9:80|1595811593.539`, []Field{
		{Name: "code", Type: Long, Int: 502},
		{Name: "request_time", Type: Float, Float: 0.125},
		{Name: "upstream", Str: "10.0.0.9:80"},
	}, Result{Matched: true})
	// "-" is an access log's "none": the default, not a failure.
	check(t, p, `10.0.0.1 [x] "GET / HTTP/1.1" - abc -|1`, []Field{
		{Name: "code", Type: Long}, {Name: "request_time", Type: Float}, {Name: "upstream", Str: "-"},
	}, Result{Matched: true, Failed: 1})

	// The generated regex agrees with the matcher.
	re := regexp.MustCompile(GeneratedRegex(&r))
	if m := re.FindStringSubmatch(`10.0.0.1 [x] "GET / HTTP/1.1" 502 0.125 10.0.0.9:80|1595811593.539`); len(m) != 8 || m[7] != "1595811593.539" || m[3] != "GET / HTTP/1.1" {
		t.Errorf("generated regex %q matched %q", re, m)
	}
}

func TestNginxFormatErrors(t *testing.T) {
	for format, want := range map[string]string{
		`log_format main '$a$b';`:         "log_format has $b right after $a: two variables need text between them",
		`log_format main 'no variables';`: "log_format has no $variable, so it yields no field",
		`log_format main '$a $a';`:        "log_format uses $a twice",
		`log_format main '$a`:             "log_format has an unterminated ' string",
		`log_format main`:                 "log_format must be `log_format <name> '<format>';`",
	} {
		_, err := Compile(&Rule{Kind: KindNginx, LogFormat: format})
		if err == nil || err.Error() != want {
			t.Errorf("Compile(%q) error = %v, want %q", format, err, want)
		}
	}
	_, err := Compile(&Rule{Kind: KindNginx, Fields: []FieldSpec{{Key: "nope", Name: "nope"}}})
	if err == nil || err.Error() != `demo_fields[0].fieldName "nope" is not a variable of log_format` {
		t.Errorf("unknown variable: %v", err)
	}
}

func TestBuiltInTemplates(t *testing.T) {
	p := mustCompile(t, Rule{Kind: KindBuiltIn, Template: "apache_common"})
	check(t, p, apacheLine, []Field{
		{Name: "remote_addr", Str: "127.0.0.1"},
		{Name: "remote_ident", Str: "-"},
		{Name: "remote_user", Str: "frank"},
		{Name: "time_local", Str: "10/Oct/2000:13:55:36 -0700"},
		{Name: "request", Str: "GET /apache_pb.gif HTTP/1.0"},
		{Name: "status", Type: Long, Int: 200},
		{Name: "body_bytes_sent", Type: Long, Int: 2326},
	}, Result{Matched: true})
	p = mustCompile(t, Rule{Kind: KindBuiltIn, Template: "Apache_Combined"})
	got, res := p.Parse(apacheLine+` "http://www.example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav)"`, nil)
	if !res.Matched || len(got) != 9 || got[8].Str != "Mozilla/4.08 [en] (Win98; I ;Nav)" {
		t.Errorf("apache combined: %+v %+v", got, res)
	}
	p = mustCompile(t, Rule{Kind: KindBuiltIn, Template: "nginx"})
	if _, res := p.Parse(nginxLine, nil); !res.Matched || res.Failed != 0 {
		t.Errorf("nginx template: %+v", res)
	}
	_, err := Compile(&Rule{Kind: KindBuiltIn, Template: "CTS"})
	if err == nil || err.Error() != "rule.param is not in the list [apache_combined, apache_common, nginx]" {
		t.Errorf("unknown template: %v", err)
	}
}
