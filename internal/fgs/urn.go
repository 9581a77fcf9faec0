package fgs

import (
	"net/http"
	"strings"
)

// ref is a function as an API path names it: project, package and name,
// and the qualifier after them: "" for none, a version, or "!alias".
type ref struct {
	Project, Package, Name string
	Qualifier              string
}

// alias is the alias the qualifier names, if it names one.
func (r ref) alias() (string, bool) {
	return strings.CutPrefix(r.Qualifier, "!")
}

// parseURN reads the function_urn path parameter. FunctionGraph accepts,
// with ':' between fields:
//
//	name                                   package default, the caller's project
//	package:name
//	project:package:name
//	project:package:name:qualifier
//	urn:fss:region:project:function:package:name
//	urn:fss:region:project:function:package:name:qualifier
//
// A URN naming another project than the path's is forbidden.
func parseURN(s, project string) (ref, error) {
	f := strings.Split(s, ":")
	var r ref
	switch len(f) {
	case 1:
		r = ref{Project: project, Package: defaultPackage, Name: f[0]}
	case 2:
		r = ref{Project: project, Package: f[0], Name: f[1]}
	case 3, 4:
		r = ref{Project: f[0], Package: f[1], Name: f[2]}
		if len(f) == 4 {
			r.Qualifier = f[3]
		}
	case 7, 8:
		if f[0] != "urn" || f[1] != "fss" || f[4] != "function" {
			return ref{}, fail(ErrURN, "%q is not urn:fss:<region>:<project>:function:<package>:<name>[:<version>|:!<alias>]", s)
		}
		r = ref{Project: f[3], Package: f[5], Name: f[6]}
		if len(f) == 8 {
			r.Qualifier = f[7]
		}
	default:
		return ref{}, fail(ErrURN, "%q has %d fields separated by ':'; a function URN has 1 to 4, 7 or 8", s, len(f))
	}
	for _, v := range []string{r.Project, r.Package, r.Name} {
		if v == "" {
			return ref{}, fail(ErrURN, "%q has an empty project, package or name", s)
		}
	}
	if (len(f) == 4 || len(f) == 8) && (r.Qualifier == "" || r.Qualifier == "!") {
		return ref{}, fail(ErrURN, "%q ends with an empty version or alias", s)
	}
	if r.Project != project {
		return ref{}, fail(ErrForbidden, "the function URN's project %s is not the project %s of the request", r.Project, project)
	}
	return r, nil
}

// urnOf reads the function_urn of a request.
func urnOf(r *http.Request) (ref, error) {
	return parseURN(r.PathValue("function_urn"), r.PathValue("project_id"))
}

// functionURN is the 7-field URN the API returns as func_urn.
func (s *Service) functionURN(project, pkg, name string) string {
	return "urn:fss:" + s.region + ":" + project + ":function:" + pkg + ":" + name
}

// aliasURN is the URN of an alias: the function URN and ":!alias".
func (s *Service) aliasURN(project, pkg, name, alias string) string {
	return s.functionURN(project, pkg, name) + ":!" + alias
}
