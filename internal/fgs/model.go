package fgs

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"

	"logtank/internal/catalog"
	"logtank/internal/wire"
)

// config is the document of a version's settings that the catalog stores
// (FunctionVersion.Config). Settings this server does not act on are kept
// and echoed as they came.
type config struct {
	Runtime                 string            `json:"runtime"`
	Handler                 string            `json:"handler"`
	Timeout                 int64             `json:"timeout"`
	MemorySize              int64             `json:"memory_size"`
	CodeType                string            `json:"code_type"`
	CodeURL                 string            `json:"code_url,omitempty"`
	CodeFilename            string            `json:"code_filename,omitempty"`
	UserData                string            `json:"user_data,omitempty"`
	EncryptedUserData       string            `json:"encrypted_user_data,omitempty"`
	Xrole                   string            `json:"xrole,omitempty"`
	AppXrole                string            `json:"app_xrole,omitempty"`
	Description             string            `json:"description,omitempty"`
	StrategyConfig          strategyConfig    `json:"strategy_config"`
	InitializerHandler      string            `json:"initializer_handler,omitempty"`
	InitializerTimeout      int64             `json:"initializer_timeout,omitempty"`
	PreStopHandler          string            `json:"pre_stop_handler,omitempty"`
	PreStopTimeout          int64             `json:"pre_stop_timeout,omitempty"`
	EnterpriseProjectID     string            `json:"enterprise_project_id,omitempty"`
	Type                    string            `json:"type,omitempty"`
	GPUMemory               int64             `json:"gpu_memory,omitempty"`
	GPUType                 string            `json:"gpu_type,omitempty"`
	EphemeralStorage        int64             `json:"ephemeral_storage,omitempty"`
	ExtendConfig            string            `json:"extend_config,omitempty"`
	DomainNames             string            `json:"domain_names,omitempty"`
	Tags                    string            `json:"tags,omitempty"`
	DependVersionList       []string          `json:"depend_version_list,omitempty"`
	LTSCustomTag            map[string]string `json:"lts_custom_tag,omitempty"`
	UserDataEncryptKMSKeyID string            `json:"user_data_encrypt_kms_key_id,omitempty"`
	CodeEncryptKMSKeyID     string            `json:"code_encrypt_kms_key_id,omitempty"`
	IsStatefulFunction      *bool             `json:"is_stateful_function,omitempty"`
	EnableDynamicMemory     *bool             `json:"enable_dynamic_memory,omitempty"`
	EnableLTSLog            *bool             `json:"enable_lts_log,omitempty"`
	FuncVPC                 json.RawMessage   `json:"func_vpc,omitempty"`
	MountConfig             json.RawMessage   `json:"mount_config,omitempty"`
	CustomImage             json.RawMessage   `json:"custom_image,omitempty"`
	LogConfig               json.RawMessage   `json:"log_config,omitempty"`
	NetworkController       json.RawMessage   `json:"network_controller,omitempty"`
}

// strategyConfig is FunctionGraph's strategy_config: concurrency is the
// most instances (-1 for the server's maximum, 0 disables the function),
// concurrent_num the requests per instance.
type strategyConfig struct {
	Concurrency   int64 `json:"concurrency"`
	ConcurrentNum int64 `json:"concurrent_num"`
}

func decodeConfig(v catalog.FunctionVersion) (config, error) {
	var c config
	if err := json.Unmarshal(v.Config, &c); err != nil {
		return c, internal(err)
	}
	return c, nil
}

// fingerprint identifies a version's settings and code together.
func fingerprint(doc []byte, digest string) string {
	h := sha256.New()
	h.Write(doc)
	h.Write([]byte{0})
	h.Write([]byte(digest))
	return hex.EncodeToString(h.Sum(nil))
}

// settings are the fields that create and update-config requests share. A
// nil or unset field leaves the setting as it was.
type settings struct {
	Runtime                 string            `json:"runtime"`
	Timeout                 wire.Int          `json:"timeout"`
	Handler                 string            `json:"handler"`
	MemorySize              wire.Int          `json:"memory_size"`
	GPUMemory               wire.Int          `json:"gpu_memory"`
	GPUType                 *string           `json:"gpu_type"`
	UserData                *string           `json:"user_data"`
	EncryptedUserData       *string           `json:"encrypted_user_data"`
	Xrole                   *string           `json:"xrole"`
	AppXrole                *string           `json:"app_xrole"`
	Description             *string           `json:"description"`
	StrategyConfig          *strategyRequest  `json:"strategy_config"`
	InitializerHandler      *string           `json:"initializer_handler"`
	InitializerTimeout      wire.Int          `json:"initializer_timeout"`
	PreStopHandler          *string           `json:"pre_stop_handler"`
	PreStopTimeout          wire.Int          `json:"pre_stop_timeout"`
	EnterpriseProjectID     *string           `json:"enterprise_project_id"`
	EphemeralStorage        wire.Int          `json:"ephemeral_storage"`
	ExtendConfig            *string           `json:"extend_config"`
	DomainNames             *string           `json:"domain_names"`
	LTSCustomTag            map[string]string `json:"lts_custom_tag"`
	UserDataEncryptKMSKeyID *string           `json:"user_data_encrypt_kms_key_id"`
	IsStatefulFunction      wire.Bool         `json:"is_stateful_function"`
	EnableDynamicMemory     wire.Bool         `json:"enable_dynamic_memory"`
	EnableLTSLog            wire.Bool         `json:"enable_lts_log"`
	FuncVPC                 json.RawMessage   `json:"func_vpc"`
	MountConfig             json.RawMessage   `json:"mount_config"`
	CustomImage             json.RawMessage   `json:"custom_image"`
	LogConfig               json.RawMessage   `json:"log_config"`
	NetworkController       json.RawMessage   `json:"network_controller"`
}

type strategyRequest struct {
	Concurrency   wire.Int `json:"concurrency"`
	ConcurrentNum wire.Int `json:"concurrent_num"`
}

// apply validates the settings a request carries and writes them into c.
// Runtime, handler, timeout and memory size are required.
func (s *settings) apply(c *config) error {
	if err := checkRuntime(s.Runtime); err != nil {
		return err
	}
	if err := checkHandler(s.Runtime, s.Handler); err != nil {
		return err
	}
	if err := checkTimeout(s.Timeout); err != nil {
		return err
	}
	if err := checkMemory(s.MemorySize); err != nil {
		return err
	}
	c.Runtime, c.Handler, c.Timeout, c.MemorySize = s.Runtime, s.Handler, s.Timeout.Value, s.MemorySize.Value
	if s.UserData != nil {
		if _, err := parseUserData(*s.UserData); err != nil {
			return err
		}
		c.UserData = *s.UserData
	}
	if s.Description != nil {
		if err := checkDescription("description", *s.Description); err != nil {
			return err
		}
		c.Description = *s.Description
	}
	if s.StrategyConfig != nil {
		sc := s.StrategyConfig
		if sc.Concurrency.Set && sc.Concurrency.Value < -1 || sc.ConcurrentNum.Set && sc.ConcurrentNum.Value < 0 {
			return fail(ErrConcurrency, "strategy_config.concurrency must be -1 (no limit), 0 (disabled) or a maximum of instances, and concurrent_num not negative")
		}
		if sc.Concurrency.Set {
			c.StrategyConfig.Concurrency = sc.Concurrency.Value
		}
		if sc.ConcurrentNum.Set {
			c.StrategyConfig.ConcurrentNum = sc.ConcurrentNum.Value
		}
	}
	if s.InitializerHandler != nil {
		if *s.InitializerHandler != "" {
			if err := checkHandler(s.Runtime, *s.InitializerHandler); err != nil {
				return err
			}
		}
		c.InitializerHandler = *s.InitializerHandler
	}
	if s.InitializerTimeout.Set {
		if t := s.InitializerTimeout.Value; t < 1 || t > 300 {
			return fail(ErrTimeout, "initializer_timeout %d must be 1 to 300 seconds", t)
		}
		c.InitializerTimeout = s.InitializerTimeout.Value
	}
	if s.PreStopTimeout.Set {
		if t := s.PreStopTimeout.Value; t < 1 || t > 90 {
			return fail(ErrTimeout, "pre_stop_timeout %d must be 1 to 90 seconds", t)
		}
		c.PreStopTimeout = s.PreStopTimeout.Value
	}
	for _, f := range []struct {
		dst *string
		src *string
	}{
		{&c.GPUType, s.GPUType}, {&c.EncryptedUserData, s.EncryptedUserData}, {&c.Xrole, s.Xrole}, {&c.AppXrole, s.AppXrole},
		{&c.PreStopHandler, s.PreStopHandler}, {&c.EnterpriseProjectID, s.EnterpriseProjectID}, {&c.ExtendConfig, s.ExtendConfig},
		{&c.DomainNames, s.DomainNames}, {&c.UserDataEncryptKMSKeyID, s.UserDataEncryptKMSKeyID},
	} {
		if f.src != nil {
			*f.dst = *f.src
		}
	}
	for _, f := range []struct {
		dst *int64
		src wire.Int
	}{{&c.GPUMemory, s.GPUMemory}, {&c.EphemeralStorage, s.EphemeralStorage}} {
		if f.src.Set {
			*f.dst = f.src.Value
		}
	}
	for _, f := range []struct {
		dst **bool
		src wire.Bool
	}{{&c.IsStatefulFunction, s.IsStatefulFunction}, {&c.EnableDynamicMemory, s.EnableDynamicMemory}, {&c.EnableLTSLog, s.EnableLTSLog}} {
		if f.src.Set {
			v := f.src.Value
			*f.dst = &v
		}
	}
	for _, f := range []struct {
		dst *json.RawMessage
		src json.RawMessage
	}{{&c.FuncVPC, s.FuncVPC}, {&c.MountConfig, s.MountConfig}, {&c.CustomImage, s.CustomImage}, {&c.LogConfig, s.LogConfig}, {&c.NetworkController, s.NetworkController}} {
		if f.src != nil {
			*f.dst = f.src
		}
	}
	if s.LTSCustomTag != nil {
		c.LTSCustomTag = s.LTSCustomTag
	}
	return nil
}

// functionJSON is FunctionGraph's function model: a function at one of
// its versions, as create, get-config, update-config, publish and the
// list APIs return it.
type functionJSON struct {
	FuncID             string `json:"func_id"`
	ResourceID         string `json:"resource_id"`
	FuncURN            string `json:"func_urn"`
	FuncName           string `json:"func_name"`
	DomainID           string `json:"domain_id"`
	Namespace          string `json:"namespace"`
	ProjectName        string `json:"project_name"`
	Package            string `json:"package"`
	CPU                int64  `json:"cpu"`
	CodeSize           int64  `json:"code_size"`
	Digest             string `json:"digest"`
	Version            string `json:"version"`
	VersionDescription string `json:"version_description,omitempty"`
	ImageName          string `json:"image_name"`
	LastModified       string `json:"last_modified"`
	config
}

// cpu is the CPU share FunctionGraph gives a memory size, in millicores.
func cpu(memoryMB int64) int64 { return memoryMB/128*100 + 200 }

// lastModified formats a function's times as FunctionGraph does, with the
// zone offset.
func lastModified(ms int64) string {
	return time.UnixMilli(ms).Format("2006-01-02T15:04:05-07:00")
}

func (s *Service) functionModel(f catalog.Function, v catalog.FunctionVersion, c config) functionJSON {
	image := v.Version
	if len(v.CodeDigest) >= 8 {
		image += "-" + v.CodeDigest[:8]
	}
	out := functionJSON{
		FuncID: f.ID, ResourceID: f.ID + ":" + v.Version, FuncURN: s.functionURN(f.ProjectID, f.Package, f.Name),
		FuncName: f.Name, DomainID: f.DomainID, Namespace: f.ProjectID, ProjectName: s.region, Package: f.Package,
		CPU: cpu(c.MemorySize), CodeSize: v.CodeSize, Digest: v.CodeDigest, Version: v.Version, ImageName: image,
		LastModified: lastModified(v.ModifiedMS), config: c,
	}
	if v.Version != catalog.LatestVersion {
		out.VersionDescription = v.Description
	}
	return out
}
