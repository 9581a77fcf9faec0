package conformance

import (
	"testing"

	"logtank/internal/catalog/pgtest"
)

// TestAPIsOnPostgres runs the API tests whose state lives in the catalog
// (groups, streams, structuring, transfers, saved searches, dashboards,
// alarms, shipper settings) again with the catalog on PostgreSQL: the
// same answers as on the embedded catalog, each data folder with its own
// database across restarts.
func TestAPIsOnPostgres(t *testing.T) {
	pgtest.URL(t) // fails in CI, skips elsewhere, when PostgreSQL is missing
	for name, test := range map[string]func(*testing.T){
		"LogGroups": TestLogGroups, "StructConfigV3": TestStructConfigV3, "IndexConfig": TestIndexConfig,
		"TransferAPIs": TestTransferAPIsThroughSDK, "TransferErrors": TestTransferErrors,
		"SearchCriterias": TestSearchCriterias, "Favorites": TestFavorites, "HistorySQL": TestHistorySQL,
		"Dashboards": TestDashboards, "AlarmRuleAPIs": TestAlarmRuleAPIs, "KeywordsAlarm": TestKeywordsAlarmFiresAndRecovers,
		"ShippersCreateStreams": TestShippersCreateStreams,
	} {
		t.Run(name, func(t *testing.T) {
			urls := map[string]string{}
			catalogFor = func(t *testing.T, dir string) string {
				if urls[dir] == "" {
					urls[dir] = pgtest.URL(t)
				}
				return urls[dir]
			}
			defer func() { catalogFor = nil }()
			test(t)
		})
	}
}
