package ltscore

import (
	"errors"
	"strings"

	"logtank/internal/apierr"
	"logtank/internal/structuring"
)

// The LTS error catalogue: status, code and message as the service sends them.
var (
	ErrNotJSON          = &apierr.Error{Status: 400, Code: "LTS.0007", Msg: "The request body format must be json"}
	ErrInvalid          = &apierr.Error{Status: 400, Code: "LTS.0009", Msg: "Failed to validate the request body"}
	ErrGroupExists      = &apierr.Error{Status: 400, Code: "LTS.0101", Msg: "Failed to create log group, the group name has been existed"}
	ErrGroupQuota       = &apierr.Error{Status: 400, Code: "LTS.0104", Msg: "Failed to create log group, the number of log groups exceeds the quota"}
	ErrGroupNotFound    = &apierr.Error{Status: 400, Code: "LTS.0201", Msg: "The log group is not existed"}
	ErrStreamExists     = &apierr.Error{Status: 400, Code: "LTS.0205", Msg: "The log stream name has been existed"}
	ErrStreamQuota      = &apierr.Error{Status: 400, Code: "LTS.0206", Msg: "Failed to create log stream, the number of Log streams exceeds the quota"}
	ErrStreamNotFound   = &apierr.Error{Status: 400, Code: "LTS.0208", Msg: "The log stream does not existed"}
	ErrGroupInTransfer  = &apierr.Error{Status: 400, Code: "LTS.0105", Msg: "Log group is associated by transfer"}
	ErrStreamInTransfer = &apierr.Error{Status: 400, Code: "LTS.0207", Msg: "Log stream is associated by transfer"}
	ErrTransferNotFound = &apierr.Error{Status: 400, Code: "LTS.0405", Msg: "The log transfer does not existed"}
	ErrNoBucket         = &apierr.Error{Status: 400, Code: "LTS.0416", Msg: "obs bucket does not exist"}
	// ErrTransferElsewhere: a run asked of a node of a cluster that does
	// not hold the transfers' lease (an operation of this server).
	ErrTransferElsewhere = &apierr.Error{Status: 409, Code: "LTS.0417", Msg: "Transfers run on the node of the cluster that holds their lease; send the request to it"}
	ErrNotInList         = &apierr.Error{Status: 400, Code: "LTS.1901", Msg: "The value is not in the list"}
	ErrBadPattern        = &apierr.Error{Status: 400, Code: "LTS.1902", Msg: "The value is invalid, please verify if it's provided as required"}
	ErrBucketDenied      = &apierr.Error{Status: 403, Code: "LTS.0018", Msg: "Current user does not have the permission to operate obs"}
	ErrTransferType      = &apierr.Error{Status: 400, Code: "LTS.0001", Msg: "Invalid log transfer type"}
	ErrUnauthorized      = &apierr.Error{Status: 401, Code: "LTS.0003", Msg: "Invalid token"}
	ErrWrongProject      = &apierr.Error{Status: 403, Code: "LTS.0001", Msg: "Invalid projectId"}
	ErrTooLarge          = &apierr.Error{Status: 413, Code: "LTS.0009", Msg: "The request body is too large"}
	ErrInternal          = &apierr.Error{Status: 500, Code: "LTS.0010", Msg: "The system encountered an internal error"}
	ErrCreateGroup       = &apierr.Error{Status: 500, Code: "LTS.0102", Msg: "Failed to create log group"}
	ErrDeleteGroup       = &apierr.Error{Status: 500, Code: "LTS.0103", Msg: "Failed to delete log group"}
	ErrUpdateGroup       = &apierr.Error{Status: 500, Code: "LTS.0107", Msg: "Failed to update log group"}
	ErrCreateStream      = &apierr.Error{Status: 500, Code: "LTS.0202", Msg: "Failed to create Log stream"}
	ErrDeleteStream      = &apierr.Error{Status: 500, Code: "LTS.0203", Msg: "Failed to delete Log stream"}
	ErrStructQuery       = &apierr.Error{Status: 500, Code: "LTS.0202", Msg: "Failed to query lts struct log"}
	ErrUpdateStream      = &apierr.Error{Status: 500, Code: "LTS.0204", Msg: "Failed to update log stream"}
	// Structuring (lts.md §11): a stream without a rule, a v3 template
	// that does not resolve, a v3 update with nothing to update.
	ErrStructNotFound     = &apierr.Error{Status: 400, Code: "LTS.0102", Msg: "Query empty."}
	ErrTemplateInvalid    = &apierr.Error{Status: 400, Code: "LTS.2014", Msg: "template_id is invalid!"}
	ErrUpdateStructConfig = &apierr.Error{Status: 400, Code: "LTS.2016", Msg: "Failed to update struct config"}
	ErrFindTemplate       = &apierr.Error{Status: 400, Code: "LTS.2017", Msg: "Find struct template failed."}
	// Searches (lts.md §6-§8).
	ErrTimeRange    = &apierr.Error{Status: 400, Code: "LTS.0701", Msg: "end_time must be superior to start_time, and line_num must be between them if it's provided"}
	ErrLimit        = &apierr.Error{Status: 400, Code: "LTS.1903", Msg: "limit must be between 1 and 5000"}
	ErrLeadingWild  = &apierr.Error{Status: 400, Code: "LTS.0301", Msg: "'*' and '?' not allowed as first character"}
	ErrStepTooLarge = &apierr.Error{Status: 400, Code: "LTS.0601", Msg: "must be less than or equal to 86400000"}
	ErrQueryLogs    = &apierr.Error{Status: 500, Code: "LTS.0202", Msg: "Failed to query lts log"}
	// Query limits (see limits.go): past the time limit, and past a
	// project's queries at once.
	ErrQueryTimeout   = &apierr.Error{Status: 408, Code: "LTS.0009", Msg: "The query did not finish in time"}
	ErrTooManyQueries = &apierr.Error{Status: 429, Code: "APIGW.0308", Msg: "The throttling threshold has been reached", RetryAfter: queryRetryAfter}
	// Alarms (lts.md §14): rules, notification templates, topics and
	// action rules, active and history alarms.
	ErrAlarmCreate    = &apierr.Error{Status: 500, Code: "LTS.2001", Msg: "Failed to create alarm rule"}
	ErrAlarmDelete    = &apierr.Error{Status: 500, Code: "LTS.2002", Msg: "Failed to delete alarm rule"}
	ErrAlarmUpdate    = &apierr.Error{Status: 500, Code: "LTS.2003", Msg: "Failed to update alarm rule"}
	ErrAlarmQuota     = &apierr.Error{Status: 400, Code: "LTS.2004", Msg: "The size of alarm rule has exceed the limit: 200"}
	ErrAlarmInvalid   = &apierr.Error{Status: 400, Code: "LTS.2005", Msg: "Alarm rule params validator error."}
	ErrAlarmExists    = &apierr.Error{Status: 400, Code: "LTS.2006", Msg: "Alarm rule name already exists"}
	ErrAlarmNotFound  = &apierr.Error{Status: 400, Code: "LTS.2007", Msg: "Alarm rule not exist"}
	ErrAlarmFind      = &apierr.Error{Status: 500, Code: "LTS.2008", Msg: "Failed to find alarm rule"}
	ErrAlarmNoTopics  = &apierr.Error{Status: 400, Code: "LTS.2010", Msg: "Topics cannot be empty"}
	ErrAlarmFrequency = &apierr.Error{Status: 400, Code: "LTS.2011", Msg: "The frequency of the alarm rule is invalid"}
	ErrAlarmRange     = &apierr.Error{Status: 400, Code: "LTS.2012", Msg: "A search time range over 1 hour needs a frequency of at least 5 minutes"}
)

// The saved searches' errors. The service documents no codes of its own
// for them, so these are ours, in the LTS.08xx range it does not use.
var (
	ErrCriteriaExists   = &apierr.Error{Status: 400, Code: "LTS.0801", Msg: "A saved search of that name and type exists in the log stream"}
	ErrCriteriaQuota    = &apierr.Error{Status: 400, Code: "LTS.0802", Msg: "The log stream has the most saved searches allowed"}
	ErrCriteriaNotFound = &apierr.Error{Status: 400, Code: "LTS.0803", Msg: "The saved search does not exist"}
	ErrFavoriteNotFound = &apierr.Error{Status: 400, Code: "LTS.0804", Msg: "The favorite does not exist"}
	// Dashboards and charts, likewise undocumented codes of ours.
	ErrDashboardExists        = &apierr.Error{Status: 400, Code: "LTS.0811", Msg: "A dashboard of that title exists"}
	ErrDashboardQuota         = &apierr.Error{Status: 400, Code: "LTS.0812", Msg: "The project has the most dashboards allowed"}
	ErrDashboardNotFound      = &apierr.Error{Status: 400, Code: "LTS.0813", Msg: "The dashboard does not exist"}
	ErrDashboardGroupExists   = &apierr.Error{Status: 400, Code: "LTS.0814", Msg: "The dashboard group exists"}
	ErrDashboardGroupNotFound = &apierr.Error{Status: 400, Code: "LTS.0815", Msg: "The dashboard group does not exist"}
)

// ErrUnavailable: the logs cannot be stored for now (a full or failing
// disk). The service lists 503 among its statuses without a code for it,
// so the code is ours. Clients retry after Retry-After seconds.
var ErrUnavailable = &apierr.Error{Status: 503, Code: "LTS.0012",
	Msg: "The service cannot store logs for now, retry later", RetryAfter: 5}

// ErrSegmentsUnreachable: a cluster node could not read the stream's
// segments from the object store (the same code as ErrUnavailable, for
// the same advice: retry later).
var ErrSegmentsUnreachable = &apierr.Error{Status: 503, Code: "LTS.0012",
	Msg: "The stream's stored logs cannot be read from the object store for now, retry later", RetryAfter: 5}

// Invalid is LTS.0009 with a message that says what was wrong.
func Invalid(format string, args ...any) *apierr.Error {
	return ErrInvalid.WithMsg("Failed to validate the request body: "+format, args...)
}

// NotInList is LTS.1901 for a value of field outside list.
func NotInList(field string, list ...string) *apierr.Error {
	return ErrNotInList.WithMsg("%s is not in the list [%s]", field, strings.Join(list, ", "))
}

// BadPattern is LTS.1902 for a value of field that does not have the
// required form.
func BadPattern(field string) *apierr.Error {
	return ErrBadPattern.WithMsg("%s is invalid, please verify if it's provided as required", field)
}

// StructuringError maps a validation failure of package structuring onto
// the catalogue: a value outside an enumeration is LTS.1901, anything else
// LTS.0009; both keep the message, which names the field.
func StructuringError(err error) error {
	var se *structuring.Error
	if errors.As(err, &se) && se.Kind == structuring.NotInList {
		return ErrNotInList.WithMsg("%s", se.Msg)
	}
	if errors.As(err, &se) {
		return Invalid("%s", se.Msg)
	}
	return Invalid("%v", err)
}

// AlarmInvalid is LTS.2005 with a message that says which parameter is
// wrong and why.
func AlarmInvalid(format string, args ...any) *apierr.Error {
	return ErrAlarmInvalid.WithMsg("Alarm rule params validator error: "+format, args...)
}
