package lts

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"github.com/google/uuid"

	"logtank/internal/catalog"
	"logtank/internal/ltscore"
	"logtank/internal/objstore"
	"logtank/internal/transfer"
	"logtank/internal/wire"
)

// The largest number of streams one transfer writes.
const maxTransferStreams = 100

type dumpObsRequest struct {
	GroupID       string    `json:"log_group_id"`
	StreamIDs     []string  `json:"log_stream_ids"`
	Bucket        string    `json:"obs_bucket_name"`
	Type          string    `json:"type"`
	StorageFormat string    `json:"storage_format"`
	SwitchOn      wire.Bool `json:"switch_on"`
	PrefixName    string    `json:"prefix_name"`
	DirPrefixName string    `json:"dir_prefix_name"`
	Period        wire.Int  `json:"period"`
	PeriodUnit    string    `json:"period_unit"`
}

type transferStreamJSON struct {
	ID   string `json:"log_stream_id"`
	Name string `json:"log_stream_name"`
}

// transferDetailJSON is log_transfer_detail as requests send it.
type transferDetailJSON struct {
	Period            wire.Int        `json:"obs_period"`
	PeriodUnit        string          `json:"obs_period_unit"`
	Bucket            string          `json:"obs_bucket_name"`
	EncryptedID       string          `json:"obs_encrypted_id"`
	EncryptedEnable   wire.Bool       `json:"obs_encrypted_enable"`
	EpsID             string          `json:"obs_eps_id"`
	Dir               string          `json:"obs_dir_pre_fix_name"`
	Prefix            string          `json:"obs_prefix_name"`
	TimeZone          string          `json:"obs_time_zone"`
	TimeZoneID        string          `json:"obs_time_zone_id"`
	Tags              []string        `json:"tags"`
	Compress          string          `json:"obs_compress_type"`
	DisID             string          `json:"dis_id"`
	DisName           string          `json:"dis_name"`
	KafkaID           string          `json:"kafka_id"`
	KafkaTopic        string          `json:"kafka_topic"`
	LtsTags           json.RawMessage `json:"lts_tags"`
	StreamTags        json.RawMessage `json:"stream_tags"`
	StructFields      []string        `json:"struct_fields"`
	InvalidFieldValue string          `json:"invalid_field_value"`
}

type transferInfoJSON struct {
	Type   string              `json:"log_transfer_type"`
	Mode   string              `json:"log_transfer_mode"`
	Format string              `json:"log_storage_format"`
	Status string              `json:"log_transfer_status"`
	Agency json.RawMessage     `json:"log_agency_transfer"`
	Detail *transferDetailJSON `json:"log_transfer_detail"`
}

type createTransferRequest struct {
	GroupID string               `json:"log_group_id"`
	Streams []transferStreamJSON `json:"log_streams"`
	Info    *transferInfoJSON    `json:"log_transfer_info"`
}

type updateTransferRequest struct {
	ID      string                `json:"log_transfer_id"`
	GroupID string                `json:"log_group_id"`
	Streams *[]transferStreamJSON `json:"log_streams"`
	Info    *transferInfoJSON     `json:"log_transfer_info"`
}

// transferJSON is a transfer as every transfer API returns it.
type transferJSON struct {
	GroupID   string               `json:"log_group_id"`
	GroupName string               `json:"log_group_name"`
	Streams   []transferStreamJSON `json:"log_streams"`
	ID        string               `json:"log_transfer_id"`
	Info      transferInfoOut      `json:"log_transfer_info"`
}

type transferInfoOut struct {
	CreateTime int64             `json:"log_create_time"`
	Format     string            `json:"log_storage_format"`
	Agency     json.RawMessage   `json:"log_agency_transfer,omitempty"`
	Detail     transferDetailOut `json:"log_transfer_detail"`
	Mode       string            `json:"log_transfer_mode"`
	Status     string            `json:"log_transfer_status"`
	Type       string            `json:"log_transfer_type"`
	// Failure says why the transfer is in EXCEPTION (an addition of this
	// server; clients that do not know it ignore it).
	Failure string `json:"log_transfer_failure,omitempty"`
}

type transferDetailOut struct {
	Period          int      `json:"obs_period"`
	PeriodUnit      string   `json:"obs_period_unit"`
	Bucket          string   `json:"obs_bucket_name"`
	TransferPath    string   `json:"obs_transfer_path"`
	Prefix          string   `json:"obs_prefix_name"`
	Dir             string   `json:"obs_dir_pre_fix_name"`
	EncryptedEnable bool     `json:"obs_encrypted_enable"`
	EncryptedID     string   `json:"obs_encrypted_id,omitempty"`
	EpsID           string   `json:"obs_eps_id,omitempty"`
	TimeZone        string   `json:"obs_time_zone,omitempty"`
	TimeZoneID      string   `json:"obs_time_zone_id,omitempty"`
	Tags            []string `json:"tags"`
	StructFields    []string `json:"struct_fields,omitempty"`
	Compress        string   `json:"obs_compress_type,omitempty"`
}

var (
	prefixPattern = regexp.MustCompile(`^[a-zA-Z0-9._-]{0,64}$`)
	// The old API's directory: plain path segments, no placeholders.
	dumpDirPattern = regexp.MustCompile(`^(/)?([a-zA-Z0-9._-]+)(/[a-zA-Z0-9._-]+)*(/)?$`)
)

// checkPeriod checks a period and its unit, named as the request names them.
func checkPeriod(periodField, unitField string, period wire.Int, unit string) error {
	if unit != "min" && unit != "hour" {
		return ltscore.NotInList(unitField, "min", "hour")
	}
	if !period.Set || !transfer.PeriodOK(int(period.Value), unit) {
		return ltscore.NotInList(periodField+"+"+unitField, transfer.Periods...)
	}
	return nil
}

func (s *Service) createDumpObs(w http.ResponseWriter, r *http.Request) error {
	var req dumpObsRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if req.Type != "cycle" {
		return ltscore.NotInList("type", "cycle")
	}
	format := req.StorageFormat
	if format == "" {
		format = "RAW"
	}
	if format != "RAW" && format != "JSON" {
		return ltscore.NotInList("storage_format", "RAW", "JSON")
	}
	if err := checkPeriod("period", "period_unit", req.Period, req.PeriodUnit); err != nil {
		return err
	}
	if !prefixPattern.MatchString(req.PrefixName) {
		return ltscore.BadPattern("prefix_name")
	}
	if req.DirPrefixName != "" && (len(req.DirPrefixName) > 64 || !dumpDirPattern.MatchString(req.DirPrefixName) || !transfer.ValidDir(req.DirPrefixName)) {
		return ltscore.BadPattern("dir_prefix_name")
	}
	streams := make([]transferStreamJSON, len(req.StreamIDs))
	for i, id := range req.StreamIDs {
		streams[i].ID = id
	}
	settings := transfer.Settings{Format: format, Period: int(req.Period.Value), PeriodUnit: req.PeriodUnit, Bucket: req.Bucket, Prefix: req.PrefixName, Dir: req.DirPrefixName}
	enabled := !req.SwitchOn.Set || req.SwitchOn.Value
	t, err := s.newTransfer(r, req.GroupID, "log_stream_ids", streams, settings, enabled)
	if err != nil {
		return err
	}
	wire.WriteJSON(w, http.StatusCreated, map[string]string{"log_dump_obs_id": t.ID})
	return nil
}

// newTransfer checks what both create APIs share and stores the transfer.
func (s *Service) newTransfer(r *http.Request, groupID, streamsField string, streams []transferStreamJSON, settings transfer.Settings, enabled bool) (catalog.Transfer, error) {
	ctx := r.Context()
	project := r.PathValue("project_id")
	if len(streams) == 0 || len(streams) > maxTransferStreams {
		return catalog.Transfer{}, invalid("%s must hold 1 to %d log streams", streamsField, maxTransferStreams)
	}
	if _, err := s.transferGroup(r, project, groupID); err != nil {
		return catalog.Transfer{}, err
	}
	if err := s.checkTransferStreams(ctx, project, groupID, streams); err != nil {
		return catalog.Transfer{}, err
	}
	if err := s.checkBucket(ctx, settings.Bucket); err != nil {
		return catalog.Transfer{}, err
	}
	t := catalog.Transfer{
		ID: uuid.NewString(), ProjectID: project, GroupID: groupID, Type: "OBS",
		Settings: settings.Encode(), Enabled: enabled, CreatedMS: s.core.Now().UnixMilli(),
	}
	for _, st := range streams {
		start, err := s.transfers.StartProgress(ctx, st.ID)
		if err != nil {
			return t, err
		}
		t.Streams = append(t.Streams, catalog.TransferStream{StreamID: st.ID, Progress: start})
	}
	if err := s.db.CreateTransfer(ctx, t); err != nil {
		return t, transferStoreError(err)
	}
	return t, nil
}

func transferStoreError(err error) error {
	var taken *catalog.StreamInTransferError
	var missing *catalog.MissingStreamError
	switch {
	case errors.As(err, &taken):
		return ltscore.ErrStreamInTransfer.WithMsg("Log stream id is associated by transfer: %s", taken.StreamID)
	case errors.As(err, &missing):
		return ltscore.ErrStreamNotFound.WithMsg("Log stream id does not exist: %s", missing.StreamID)
	}
	return err
}

// transferGroup returns the group a transfer names, or LTS.0201 in the
// wording of the transfer APIs.
func (s *Service) transferGroup(r *http.Request, project, id string) (catalog.LogGroup, error) {
	if id == "" {
		return catalog.LogGroup{}, invalid("log_group_id is required")
	}
	g, err := s.core.Group(r.Context(), project, id)
	if errors.Is(err, ltscore.ErrGroupNotFound) {
		return g, ltscore.ErrGroupNotFound.WithMsg("The log group does not existed: %s", id)
	}
	return g, err
}

func (s *Service) checkTransferStreams(ctx context.Context, project, groupID string, streams []transferStreamJSON) error {
	seen := map[string]bool{}
	for _, st := range streams {
		if seen[st.ID] {
			return invalid("log stream %s is listed twice", st.ID)
		}
		seen[st.ID] = true
		_, err := s.db.LogStream(ctx, project, groupID, st.ID)
		if errors.Is(err, catalog.ErrNotFound) {
			return ltscore.ErrStreamNotFound.WithMsg("Log stream id does not exist: %s", st.ID)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// checkBucket refuses a bucket that is badly named, missing or out of
// reach: buckets are never created on the caller's behalf.
func (s *Service) checkBucket(ctx context.Context, bucket string) error {
	if err := objstore.ValidateBucket(bucket); err != nil {
		return ltscore.ErrBadPattern.WithMsg("obs_bucket_name is invalid, please verify if it's provided as required: %s", strings.TrimPrefix(err.Error(), objstore.ErrInvalidName.Error()+": "))
	}
	ok, err := s.objects.BucketExists(ctx, bucket)
	switch {
	case errors.Is(err, objstore.ErrAccessDenied):
		return ltscore.ErrBucketDenied.WithMsg("%s: %s", ltscore.ErrBucketDenied.Msg, bucket)
	case err != nil:
		return internalFailure(ltscore.ErrInternal, err)
	case !ok:
		return ltscore.ErrNoBucket.WithMsg("obs bucket does not exist: %s", bucket)
	}
	return nil
}

// settingsFrom checks a new-API transfer's info and returns its settings.
func settingsFrom(info *transferInfoJSON, old *transfer.Settings) (transfer.Settings, error) {
	var st transfer.Settings
	if old != nil {
		st = *old
	}
	if info == nil {
		return st, invalid("log_transfer_info is required")
	}
	if old == nil {
		switch info.Type {
		case "OBS":
		case "DIS", "DMS":
			return st, ltscore.ErrNotInList.WithMsg("log_transfer_type %s is not supported by this server: only OBS transfers are available", info.Type)
		default:
			return st, ltscore.NotInList("log_transfer_type", "OBS", "DIS", "DMS")
		}
		switch info.Mode {
		case "cycle":
		case "realTime":
			return st, ltscore.ErrNotInList.WithMsg("log_transfer_mode is not in the list [cycle]: OBS transfers run in cycles")
		default:
			return st, ltscore.NotInList("log_transfer_mode", "cycle", "realTime")
		}
	}
	switch info.Format {
	case "RAW", "JSON":
		st.Format = info.Format
	case "":
		if old == nil {
			return st, ltscore.NotInList("log_storage_format", "RAW", "JSON")
		}
	default:
		return st, ltscore.NotInList("log_storage_format", "RAW", "JSON")
	}
	if !slices.Contains([]string{"", "ENABLE", "DISABLE", "EXCEPTION"}, info.Status) {
		return st, ltscore.NotInList("log_transfer_status", "ENABLE", "DISABLE", "EXCEPTION")
	}
	if info.Agency != nil && string(info.Agency) != "null" {
		st.Extra = setExtra(st.Extra, "log_agency_transfer", info.Agency)
	}
	d := info.Detail
	if d == nil {
		if old == nil {
			return st, invalid("log_transfer_info.log_transfer_detail is required")
		}
		return st, checkTags(&st)
	}
	if err := checkPeriod("obs_period", "obs_period_unit", d.Period, d.PeriodUnit); err != nil {
		return st, err
	}
	st.Period, st.PeriodUnit, st.Bucket = int(d.Period.Value), d.PeriodUnit, d.Bucket
	if !prefixPattern.MatchString(d.Prefix) {
		return st, ltscore.BadPattern("obs_prefix_name")
	}
	if d.Dir != "" && !transfer.ValidDir(d.Dir) {
		return st, ltscore.BadPattern("obs_dir_pre_fix_name")
	}
	st.Prefix, st.Dir = d.Prefix, d.Dir
	if (d.TimeZone == "") != (d.TimeZoneID == "") {
		return st, invalid("obs_time_zone and obs_time_zone_id must be given together")
	}
	st.TimeZone, st.TimeZoneID = d.TimeZone, d.TimeZoneID
	if _, err := st.Location(); err != nil {
		return st, ltscore.ErrBadPattern.WithMsg("obs_time_zone is invalid, please verify if it's provided as required: %v", err)
	}
	st.Tags, st.StructFields = d.Tags, d.StructFields
	switch d.Compress {
	case "", "none":
		st.Compress = ""
	case "gzip":
		st.Compress = "gzip"
	default:
		return st, ltscore.NotInList("obs_compress_type", "none", "gzip")
	}
	for key, v := range map[string]any{"obs_encrypted_id": d.EncryptedID, "obs_eps_id": d.EpsID, "obs_encrypted_enable": d.EncryptedEnable.Value} {
		b, _ := json.Marshal(v)
		st.Extra = setExtra(st.Extra, key, b)
	}
	return st, checkTags(&st)
}

func checkTags(st *transfer.Settings) error {
	for _, tag := range st.Tags {
		if !slices.Contains(transfer.Tags, tag) {
			return ltscore.NotInList("tags", transfer.Tags...)
		}
	}
	if len(st.Tags) > 0 && st.Format != "JSON" {
		return invalid("tags are delivered only in the JSON storage format")
	}
	if len(st.StructFields) > 0 && st.Format != "JSON" {
		return invalid("struct_fields are delivered only in the JSON storage format")
	}
	for _, f := range st.StructFields {
		if strings.TrimSpace(f) == "" {
			return invalid("struct_fields must name fields")
		}
	}
	return nil
}

func setExtra(m map[string]json.RawMessage, key string, v json.RawMessage) map[string]json.RawMessage {
	if m == nil {
		m = map[string]json.RawMessage{}
	}
	m[key] = v
	return m
}

func (s *Service) createTransfer(w http.ResponseWriter, r *http.Request) error {
	var req createTransferRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	settings, err := settingsFrom(req.Info, nil)
	if err != nil {
		return err
	}
	t, err := s.newTransfer(r, req.GroupID, "log_streams", req.Streams, settings, req.Info.Status != "DISABLE")
	if err != nil {
		return err
	}
	return s.writeTransfer(w, r.Context(), t)
}

// writeTransfer answers 200 with the transfer, as every transfer API does.
func (s *Service) writeTransfer(w http.ResponseWriter, ctx context.Context, t catalog.Transfer) error {
	out, err := s.transferJSON(ctx, t)
	if err != nil {
		return err
	}
	wire.WriteJSON(w, http.StatusOK, out)
	return nil
}

func (s *Service) listTransfers(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if typ := q.Get("log_transfer_type"); typ != "" && !slices.Contains([]string{"OBS", "DIS", "DMS"}, typ) {
		return ltscore.ErrTransferType.WithMsg("Invalid log transfer type: %s is not in the list [OBS, DIS, DMS]", typ)
	}
	transfers, err := s.db.Transfers(r.Context(), r.PathValue("project_id"))
	if err != nil {
		return err
	}
	out := []transferJSON{}
	for _, t := range transfers {
		if typ := q.Get("log_transfer_type"); typ != "" && typ != t.Type {
			continue
		}
		tj, err := s.transferJSON(r.Context(), t)
		if err != nil {
			return err
		}
		if name := q.Get("log_group_name"); name != "" && name != tj.GroupName {
			continue
		}
		if name := q.Get("log_stream_name"); name != "" && !slices.ContainsFunc(tj.Streams, func(st transferStreamJSON) bool { return st.Name == name }) {
			continue
		}
		out = append(out, tj)
	}
	wire.WriteJSON(w, http.StatusOK, struct {
		Transfers []transferJSON `json:"log_transfers"`
	}{out})
	return nil
}

// transferOf returns the transfer a request names, or LTS.0405.
func (s *Service) transferOf(r *http.Request, id string) (catalog.Transfer, error) {
	if id == "" {
		return catalog.Transfer{}, invalid("The Field transfer id is invalid or missing.")
	}
	t, err := s.db.Transfer(r.Context(), r.PathValue("project_id"), id)
	if errors.Is(err, catalog.ErrNotFound) {
		return t, ltscore.ErrTransferNotFound.WithMsg("%s: %s", ltscore.ErrTransferNotFound.Msg, id)
	}
	return t, err
}

func (s *Service) updateTransfer(w http.ResponseWriter, r *http.Request) error {
	var req updateTransferRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	t, err := s.transferOf(r, req.ID)
	if err != nil {
		return err
	}
	old, err := transfer.DecodeSettings(t.Settings)
	if err != nil {
		return internalFailure(ltscore.ErrInternal, err)
	}
	settings, err := settingsFrom(req.Info, &old)
	if err != nil {
		return err
	}
	project := r.PathValue("project_id")
	if req.GroupID != "" && req.GroupID != t.GroupID {
		if req.Streams == nil {
			return invalid("log_streams is required when log_group_id changes")
		}
		if _, err := s.transferGroup(r, project, req.GroupID); err != nil {
			return err
		}
		t.GroupID = req.GroupID
	}
	if settings.Bucket != old.Bucket {
		if err := s.checkBucket(r.Context(), settings.Bucket); err != nil {
			return err
		}
	}
	switch req.Info.Status {
	case "ENABLE", "EXCEPTION":
		t.Enabled = true
	case "DISABLE":
		t.Enabled = false
	}
	if req.Streams != nil {
		if len(*req.Streams) == 0 || len(*req.Streams) > maxTransferStreams {
			return invalid("log_streams must hold 1 to %d log streams", maxTransferStreams)
		}
		if err := s.checkTransferStreams(r.Context(), project, t.GroupID, *req.Streams); err != nil {
			return err
		}
		streams := make([]catalog.TransferStream, 0, len(*req.Streams))
		for _, st := range *req.Streams {
			start, err := s.transfers.StartProgress(r.Context(), st.ID)
			if err != nil {
				return err
			}
			streams = append(streams, catalog.TransferStream{StreamID: st.ID, Progress: start})
		}
		t.Streams = streams
	}
	t.Settings = settings.Encode()
	if err := s.db.UpdateTransfer(r.Context(), t); err != nil {
		return transferStoreError(err)
	}
	if t, err = s.transferOf(r, t.ID); err != nil {
		return err
	}
	return s.writeTransfer(w, r.Context(), t)
}

func (s *Service) deleteTransfer(w http.ResponseWriter, r *http.Request) error {
	t, err := s.transferOf(r, r.URL.Query().Get("log_transfer_id"))
	if err != nil {
		return err
	}
	out, err := s.transferJSON(r.Context(), t)
	if err != nil {
		return err
	}
	switch err := s.db.DeleteTransfer(r.Context(), t.ProjectID, t.ID); {
	case errors.Is(err, catalog.ErrNotFound):
		return ltscore.ErrTransferNotFound.WithMsg("%s: %s", ltscore.ErrTransferNotFound.Msg, t.ID)
	case err != nil:
		return err
	}
	wire.WriteJSON(w, http.StatusOK, out)
	return nil
}

// runTransfer writes a transfer's due windows and the one up to now at
// once, for testing a transfer without waiting for its period (an
// operation of this server, not of the LTS API).
func (s *Service) runTransfer(w http.ResponseWriter, r *http.Request) error {
	t, err := s.transferOf(r, r.PathValue("log_transfer_id"))
	if err != nil {
		return err
	}
	keys, err := s.transfers.Run(r.Context(), t.ProjectID, t.ID, true)
	if keys == nil {
		keys = []string{}
	}
	switch {
	case errors.Is(err, catalog.ErrNotFound):
		return ltscore.ErrTransferNotFound.WithMsg("%s: %s", ltscore.ErrTransferNotFound.Msg, t.ID)
	case errors.Is(err, transfer.ErrElsewhere):
		return ltscore.ErrTransferElsewhere
	case errors.Is(err, objstore.ErrNoBucket):
		return ltscore.ErrNoBucket.WithMsg("The transfer failed: %v", err)
	case errors.Is(err, objstore.ErrAccessDenied):
		return ltscore.ErrBucketDenied.WithMsg("The transfer failed: %v", err)
	case err != nil:
		return &wire.Internal{Err: ltscore.ErrInternal.WithMsg("The transfer failed: %v", err), Cause: err}
	}
	wire.WriteJSON(w, http.StatusOK, struct {
		ID      string   `json:"log_transfer_id"`
		Objects []string `json:"objects"`
	}{t.ID, keys})
	return nil
}

func (s *Service) transferJSON(ctx context.Context, t catalog.Transfer) (transferJSON, error) {
	st, err := transfer.DecodeSettings(t.Settings)
	if err != nil {
		return transferJSON{}, internalFailure(ltscore.ErrInternal, err)
	}
	out := transferJSON{GroupID: t.GroupID, ID: t.ID, Streams: []transferStreamJSON{}}
	if g, err := s.db.LogGroup(ctx, t.ProjectID, t.GroupID); err == nil {
		out.GroupName = g.Name
	}
	for _, ts := range t.Streams {
		sj := transferStreamJSON{ID: ts.StreamID}
		if st, err := s.db.LogStream(ctx, t.ProjectID, t.GroupID, ts.StreamID); err == nil {
			sj.Name = st.Name
		}
		out.Streams = append(out.Streams, sj)
	}
	status := "ENABLE"
	switch {
	case !t.Enabled:
		status = "DISABLE"
	case t.Failure != "":
		status = "EXCEPTION"
	}
	tags := st.Tags
	if tags == nil {
		tags = []string{}
	}
	var encrypted bool
	_ = json.Unmarshal(st.Extra["obs_encrypted_enable"], &encrypted)
	var encID, eps string
	_ = json.Unmarshal(st.Extra["obs_encrypted_id"], &encID)
	_ = json.Unmarshal(st.Extra["obs_eps_id"], &eps)
	out.Info = transferInfoOut{
		CreateTime: t.CreatedMS, Format: st.Format, Agency: st.Extra["log_agency_transfer"],
		Mode: "cycle", Status: status, Type: t.Type, Failure: t.Failure,
		Detail: transferDetailOut{
			Period: st.Period, PeriodUnit: st.PeriodUnit, Bucket: st.Bucket,
			TransferPath: "/" + st.Bucket + "/LogTanks/" + s.region + "/",
			Prefix:       st.Prefix, Dir: st.Dir, EncryptedEnable: encrypted, EncryptedID: encID, EpsID: eps,
			TimeZone: st.TimeZone, TimeZoneID: st.TimeZoneID, Tags: tags, StructFields: st.StructFields, Compress: st.Compress,
		},
	}
	return out, nil
}
