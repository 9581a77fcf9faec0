package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/url"
)

type verbs = map[string]func(context.Context, []string, io.Writer) error

func runAdmin(ctx context.Context, args []string, w io.Writer) error {
	return subcommand(ctx, "admin", args, w, verbs{
		"domains":      adminDomains,
		"projects":     adminProjects,
		"users":        adminUsers,
		"keys":         adminKeys,
		"topics":       adminTopics,
		"action-rules": adminActionRules,
	})
}

type projectRow struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	DomainID string `json:"domain_id"`
}

// flagsOnly parses a command that takes flags and no positional arguments.
func flagsOnly(fs *flag.FlagSet, args []string, usage string) error {
	pos, err := parse(fs, args)
	if err == nil && len(pos) > 0 {
		return usagef("usage: %s", usage)
	}
	return err
}

// onePositional parses a command that takes exactly one positional argument.
func onePositional(fs *flag.FlagSet, args []string, usage string) (string, error) {
	pos, err := parse(fs, args)
	if err != nil {
		return "", err
	}
	if len(pos) != 1 {
		return "", usagef("usage: %s", usage)
	}
	return pos[0], nil
}

func adminDomains(ctx context.Context, args []string, w io.Writer) error {
	type domain struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	}
	return subcommand(ctx, "admin domains", args, w, verbs{
		"list": func(ctx context.Context, args []string, w io.Writer) error {
			fs := flag.NewFlagSet("admin domains list", flag.ContinueOnError)
			conn := addConnFlags(fs)
			if err := flagsOnly(fs, args, "logtank admin domains list"); err != nil {
				return err
			}
			return call(ctx, conn, w, "GET", "/v3/domains", nil, nil, func(v struct {
				Domains []domain `json:"domains"`
			}) error {
				var rows [][]any
				for _, d := range v.Domains {
					rows = append(rows, []any{d.ID, d.Name})
				}
				return table(w, "ID\tNAME", rows)
			})
		},
		"create": func(ctx context.Context, args []string, w io.Writer) error {
			fs := flag.NewFlagSet("admin domains create", flag.ContinueOnError)
			conn := addConnFlags(fs)
			name, err := onePositional(fs, args, "logtank admin domains create NAME")
			if err != nil {
				return err
			}
			return call(ctx, conn, w, "POST", "/v3/domains", nil, map[string]any{"domain": map[string]string{"name": name}}, func(v struct {
				Domain domain `json:"domain"`
			}) error {
				_, err := fmt.Fprintln(w, v.Domain.ID)
				return err
			})
		},
	})
}

func adminProjects(ctx context.Context, args []string, w io.Writer) error {
	return subcommand(ctx, "admin projects", args, w, verbs{
		"list": func(ctx context.Context, args []string, w io.Writer) error {
			fs := flag.NewFlagSet("admin projects list", flag.ContinueOnError)
			conn := addConnFlags(fs)
			domain := fs.String("domain", "", "domain id (operators only; default: your own)")
			if err := flagsOnly(fs, args, "logtank admin projects list [--domain ID]"); err != nil {
				return err
			}
			q := url.Values{}
			if *domain != "" {
				q.Set("domain_id", *domain)
			}
			return call(ctx, conn, w, "GET", "/v3/projects", q, nil, func(v struct {
				Projects []projectRow `json:"projects"`
			}) error {
				var rows [][]any
				for _, p := range v.Projects {
					rows = append(rows, []any{p.ID, p.Name, p.DomainID})
				}
				return table(w, "ID\tNAME\tDOMAIN_ID", rows)
			})
		},
		"create": func(ctx context.Context, args []string, w io.Writer) error {
			fs := flag.NewFlagSet("admin projects create", flag.ContinueOnError)
			conn := addConnFlags(fs)
			domain := fs.String("domain", "", "domain id (operators only; default: your own)")
			name, err := onePositional(fs, args, "logtank admin projects create NAME [--domain ID]")
			if err != nil {
				return err
			}
			body := map[string]any{"project": map[string]string{"name": name, "domain_id": *domain}}
			return call(ctx, conn, w, "POST", "/v3/projects", nil, body, func(v struct {
				Project projectRow `json:"project"`
			}) error {
				_, err := fmt.Fprintln(w, v.Project.ID)
				return err
			})
		},
	})
}

func adminUsers(ctx context.Context, args []string, w io.Writer) error {
	type user struct {
		ID       string `json:"id"`
		Name     string `json:"name"`
		DomainID string `json:"domain_id"`
		Admin    bool   `json:"is_domain_owner"`
	}
	return subcommand(ctx, "admin users", args, w, verbs{
		"list": func(ctx context.Context, args []string, w io.Writer) error {
			fs := flag.NewFlagSet("admin users list", flag.ContinueOnError)
			conn := addConnFlags(fs)
			domain := fs.String("domain", "", "domain id (operators only; default: your own)")
			if err := flagsOnly(fs, args, "logtank admin users list [--domain ID]"); err != nil {
				return err
			}
			q := url.Values{}
			if *domain != "" {
				q.Set("domain_id", *domain)
			}
			return call(ctx, conn, w, "GET", "/v3/users", q, nil, func(v struct {
				Users []user `json:"users"`
			}) error {
				var rows [][]any
				for _, u := range v.Users {
					rows = append(rows, []any{u.ID, u.Name, u.DomainID, u.Admin})
				}
				return table(w, "ID\tNAME\tDOMAIN_ID\tADMIN", rows)
			})
		},
		"create": func(ctx context.Context, args []string, w io.Writer) error {
			fs := flag.NewFlagSet("admin users create", flag.ContinueOnError)
			conn := addConnFlags(fs)
			domain := fs.String("domain", "", "domain id (operators only; default: your own)")
			password := fs.String("password", "", "the user's password (at least 8 characters)")
			admin := fs.Bool("admin", false, "the user manages its domain's accounts")
			name, err := onePositional(fs, args, "logtank admin users create NAME --password P [--admin] [--domain ID]")
			if err != nil {
				return err
			}
			body := map[string]any{"user": map[string]any{"name": name, "password": *password, "domain_id": *domain, "admin": *admin}}
			return call(ctx, conn, w, "POST", "/v3.0/OS-USER/users", nil, body, func(v struct {
				User user `json:"user"`
			}) error {
				_, err := fmt.Fprintln(w, v.User.ID)
				return err
			})
		},
	})
}

func adminKeys(ctx context.Context, args []string, w io.Writer) error {
	type key struct {
		Access      string `json:"access"`
		Secret      string `json:"secret"`
		UserID      string `json:"user_id"`
		Created     string `json:"create_time"`
		Description string `json:"description"`
	}
	return subcommand(ctx, "admin keys", args, w, verbs{
		"list": func(ctx context.Context, args []string, w io.Writer) error {
			fs := flag.NewFlagSet("admin keys list", flag.ContinueOnError)
			conn := addConnFlags(fs)
			userID := fs.String("user", "", "user id (default: yourself)")
			if err := flagsOnly(fs, args, "logtank admin keys list [--user ID]"); err != nil {
				return err
			}
			q := url.Values{}
			if *userID != "" {
				q.Set("user_id", *userID)
			}
			return call(ctx, conn, w, "GET", "/v3.0/OS-CREDENTIAL/credentials", q, nil, func(v struct {
				Keys []key `json:"credentials"`
			}) error {
				var rows [][]any
				for _, k := range v.Keys {
					rows = append(rows, []any{k.Access, k.UserID, k.Created, k.Description})
				}
				return table(w, "ACCESS_KEY\tUSER_ID\tCREATED\tDESCRIPTION", rows)
			})
		},
		"create": func(ctx context.Context, args []string, w io.Writer) error {
			fs := flag.NewFlagSet("admin keys create", flag.ContinueOnError)
			conn := addConnFlags(fs)
			userID := fs.String("user", "", "user id (default: yourself)")
			desc := fs.String("description", "", "what the key is for")
			if err := flagsOnly(fs, args, "logtank admin keys create [--user ID] [--description TEXT]"); err != nil {
				return err
			}
			body := map[string]any{"credential": map[string]string{"user_id": *userID, "description": *desc}}
			return call(ctx, conn, w, "POST", "/v3.0/OS-CREDENTIAL/credentials", nil, body, func(v struct {
				Key key `json:"credential"`
			}) error {
				_, err := fmt.Fprintf(w, "access key  %s\nsecret key  %s\n", v.Key.Access, v.Key.Secret)
				return err
			})
		},
		"delete": func(ctx context.Context, args []string, w io.Writer) error {
			fs := flag.NewFlagSet("admin keys delete", flag.ContinueOnError)
			conn := addConnFlags(fs)
			ak, err := onePositional(fs, args, "logtank admin keys delete ACCESS_KEY")
			if err != nil {
				return err
			}
			return call(ctx, conn, w, "DELETE", "/v3.0/OS-CREDENTIAL/credentials/"+url.PathEscape(ak), nil, nil, func(struct{}) error { return nil })
		},
	})
}
