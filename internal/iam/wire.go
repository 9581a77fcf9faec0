package iam

import "logtank/internal/wire"

// The shapes of the IAM API: what each route reads and what it answers.
// Answer fields are declared in the sorted order of their JSON keys, the
// order in which the API has always written them; omitempty marks the only
// keys that may be absent, and an empty list is [], never null. Errors
// use the catalogue's error_code/error_msg body (errors.go).

// nameOrID names a user, project or domain in a sign-in, by id or by name
// (a user's name within a domain).
type nameOrID struct {
	ID     string    `json:"id"`
	Name   string    `json:"name"`
	Domain *nameOrID `json:"domain"`
}

// tokenRequest is the body of POST /v3/auth/tokens: a password sign-in
// scoped to a project or to the user's domain.
type tokenRequest struct {
	Auth struct {
		Identity struct {
			Methods  []string `json:"methods"`
			Password struct {
				User struct {
					nameOrID
					Password string `json:"password"`
				} `json:"user"`
			} `json:"password"`
		} `json:"identity"`
		Scope struct {
			Project *nameOrID `json:"project"`
			Domain  *nameOrID `json:"domain"`
		} `json:"scope"`
	} `json:"auth"`
}

// tokenAnswer is the body of POST /v3/auth/tokens (201, the token itself
// in X-Subject-Token) and of GET /v3/auth/tokens (200).
type tokenAnswer struct {
	Token tokenInfo `json:"token"`
}

// tokenInfo is what the token APIs tell of a token.
type tokenInfo struct {
	// Catalog is absent when the request asks for ?nocatalog.
	Catalog   []catalogService `json:"catalog,omitempty"`
	Domain    domainRef        `json:"domain"`
	ExpiresAt string           `json:"expires_at"`
	IssuedAt  string           `json:"issued_at"`
	Methods   []string         `json:"methods"`
	// Project is absent from a token scoped to a domain.
	Project *tokenProject `json:"project,omitempty"`
	Roles   []roleRef     `json:"roles"`
	User    tokenUser     `json:"user"`
}

// catalogService is one service of a token's catalog.
type catalogService struct {
	Endpoints []catalogEndpoint `json:"endpoints"`
	ID        string            `json:"id"`
	Name      string            `json:"name"`
	Type      string            `json:"type"`
}

// catalogEndpoint is where a catalog service is served.
type catalogEndpoint struct {
	ID        string `json:"id"`
	Interface string `json:"interface"`
	Region    string `json:"region"`
	RegionID  string `json:"region_id"`
	URL       string `json:"url"`
}

// domainRef names the domain of a token, its user and its project.
type domainRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// roleRef is a role a token grants.
type roleRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// tokenProject is the project a token is scoped to.
type tokenProject struct {
	Domain domainRef `json:"domain"`
	ID     string    `json:"id"`
	Name   string    `json:"name"`
}

// tokenUser is the user a token was issued to.
type tokenUser struct {
	Domain            domainRef `json:"domain"`
	ID                string    `json:"id"`
	Name              string    `json:"name"`
	PasswordExpiresAt string    `json:"password_expires_at"`
}

// projectRequest is the body of POST /v3/projects. DomainID is for the
// operator's admins; others create in their own domain.
type projectRequest struct {
	Project struct {
		Name     string `json:"name"`
		DomainID string `json:"domain_id"`
	} `json:"project"`
}

// projectsAnswer is the body of GET /v3/projects.
type projectsAnswer struct {
	Links    selfLink      `json:"links"`
	Projects []projectInfo `json:"projects"`
}

// projectAnswer is the body of POST /v3/projects (201).
type projectAnswer struct {
	Project projectInfo `json:"project"`
}

// projectInfo is a project as the project APIs tell it.
type projectInfo struct {
	Description string   `json:"description"`
	DomainID    string   `json:"domain_id"`
	Enabled     bool     `json:"enabled"`
	ID          string   `json:"id"`
	IsDomain    bool     `json:"is_domain"`
	Links       selfLink `json:"links"`
	Name        string   `json:"name"`
	ParentID    string   `json:"parent_id"`
}

// selfLink is the path of a resource or a list.
type selfLink struct {
	Self string `json:"self"`
}

// domainRequest is the body of POST /v3/domains.
type domainRequest struct {
	Domain struct {
		Name string `json:"name"`
	} `json:"domain"`
}

// domainsAnswer is the body of GET /v3/domains.
type domainsAnswer struct {
	Domains []domainInfo `json:"domains"`
}

// domainAnswer is the body of POST /v3/domains (201).
type domainAnswer struct {
	Domain domainInfo `json:"domain"`
}

// domainInfo is a domain as the domain APIs tell it.
type domainInfo struct {
	Enabled bool   `json:"enabled"`
	ID      string `json:"id"`
	Name    string `json:"name"`
}

// userRequest is the body of POST /v3.0/OS-USER/users. DomainID is for
// the operator's admins; others create in their own domain.
type userRequest struct {
	User struct {
		Name     string    `json:"name"`
		DomainID string    `json:"domain_id"`
		Password string    `json:"password"`
		Admin    wire.Bool `json:"admin"`
	} `json:"user"`
}

// usersAnswer is the body of GET /v3/users.
type usersAnswer struct {
	Users []userInfo `json:"users"`
}

// userAnswer is the body of POST /v3.0/OS-USER/users (201).
type userAnswer struct {
	User userInfo `json:"user"`
}

// userInfo is a user as the user APIs tell it; is_domain_owner says
// whether the user is an admin of its domain.
type userInfo struct {
	CreateTime    string `json:"create_time"`
	DomainID      string `json:"domain_id"`
	Enabled       bool   `json:"enabled"`
	ID            string `json:"id"`
	IsDomainOwner bool   `json:"is_domain_owner"`
	Name          string `json:"name"`
}

// credentialRequest is the body of POST /v3.0/OS-CREDENTIAL/credentials.
// Without a user id the key is the caller's.
type credentialRequest struct {
	Credential struct {
		UserID      string `json:"user_id"`
		Description string `json:"description"`
	} `json:"credential"`
}

// credentialsAnswer is the body of GET /v3.0/OS-CREDENTIAL/credentials.
type credentialsAnswer struct {
	Credentials []credentialInfo `json:"credentials"`
}

// credentialAnswer is the body of POST /v3.0/OS-CREDENTIAL/credentials
// (201), the only answer that carries the secret key.
type credentialAnswer struct {
	Credential credentialInfo `json:"credential"`
}

// credentialInfo is an access key as the credential APIs tell it.
type credentialInfo struct {
	Access      string `json:"access"`
	CreateTime  string `json:"create_time"`
	Description string `json:"description"`
	// Secret is set only when the key is created; lists never show it.
	Secret string `json:"secret,omitempty"`
	Status string `json:"status"`
	UserID string `json:"user_id"`
}
