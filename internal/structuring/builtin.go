package structuring

import (
	"sort"
	"strings"
)

// builtInFormats are the built-in templates, as nginx formats. Apache's
// fields take the nginx variable names (%h is remote_addr, %>s status, %b
// body_bytes_sent...) so that the same queries work on both.
var builtInFormats = map[string]string{
	// nginx's predefined combined format.
	"nginx": `$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"`,
	// Apache LogFormat "%h %l %u %t \"%r\" %>s %b" common
	"apache_common": `$remote_addr $remote_ident $remote_user [$time_local] "$request" $status $body_bytes_sent`,
	// Apache LogFormat "%h %l %u %t \"%r\" %>s %b \"%{Referer}i\" \"%{User-agent}i\"" combined
	"apache_combined": `$remote_addr $remote_ident $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"`,
}

// builtInAliases are other names the templates answer to.
var builtInAliases = map[string]string{
	"nginx_combined": "nginx",
	"nginx_access":   "nginx",
	"apache":         "apache_combined",
}

// BuiltInTemplates lists the names of the built-in templates.
func BuiltInTemplates() []string {
	names := make([]string, 0, len(builtInFormats))
	for n := range builtInFormats {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// BuiltInFormat returns the nginx format string of a built-in template
// (case-insensitive, aliases accepted) and its canonical name.
func BuiltInFormat(name string) (format, canonical string, ok bool) {
	n := strings.ToLower(strings.TrimSpace(name))
	if a, ok := builtInAliases[n]; ok {
		n = a
	}
	format, ok = builtInFormats[n]
	return format, n, ok
}

func compileBuiltIn(r *Rule) (*seqParser, *Error) {
	format, _, ok := BuiltInFormat(r.Template)
	if !ok {
		return nil, notInList("rule.param", strings.Join(BuiltInTemplates(), ", "))
	}
	p, err := compileFormat(format)
	if err != nil {
		return nil, err
	}
	return p, p.bind(r.Fields, "template "+r.Template)
}
