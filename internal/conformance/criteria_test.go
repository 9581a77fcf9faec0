package conformance

import (
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/lts/v2/model"
)

// Saved searches (CreateSearchCriterias, ListCriterias,
// ListQueryAllSearchCriterias, DeleteSearchCriterias), favourites
// (Createfavorite, Deletefavorite) and the SQL history (ListHistorySql),
// through the official SDK: what the console keeps for a person.
func TestSearchCriterias(t *testing.T) {
	e := start(t, "")
	c := e.lts()
	group := mustCreateGroup(t, c, "criteria", 7)
	stream := mustCreateStream(t, c, group, "app", nil)
	other := mustCreateStream(t, c, group, "db", nil)

	create := func(topic, name, criteria, kind string) (string, error) {
		r, err := c.CreateSearchCriterias(&model.CreateSearchCriteriasRequest{GroupId: group, TopicId: topic,
			Body: &model.CreateSearchCriteriasBody{Name: name, Criteria: criteria, SearchType: kind}})
		if err != nil {
			return "", err
		}
		return wantUUID(t, r.Id), nil
	}
	errID, err := create(stream, "errors", "error AND NOT timeout", "ORIGINALLOG")
	if err != nil {
		t.Fatal(err)
	}
	sqlID, err := create(stream, "by level", "SELECT count(*) AS n", "VISUALIZATION")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := create(other, "slow", "slow", "ORIGINALLOG"); err != nil {
		t.Fatal(err)
	}

	list, err := c.ListCriterias(&model.ListCriteriasRequest{GroupId: group, TopicId: stream})
	if err != nil {
		t.Fatal(err)
	}
	got := *list.SearchCriterias
	if len(got) != 2 || *got[0].Id != errID || *got[0].Name != "errors" || *got[0].Criteria != "error AND NOT timeout" || *got[0].SearchType != "ORIGINALLOG" ||
		*got[1].Id != sqlID || *got[1].SearchType != "VISUALIZATION" {
		t.Fatalf("ListCriterias: %+v", got)
	}
	list, err = c.ListCriterias(&model.ListCriteriasRequest{GroupId: group, TopicId: stream, SearchType: ptrTo("VISUALIZATION")})
	if err != nil || len(*list.SearchCriterias) != 1 || *(*list.SearchCriterias)[0].Id != sqlID {
		t.Fatalf("ListCriterias of VISUALIZATION: %v %+v", err, list)
	}

	all, err := c.ListQueryAllSearchCriterias(&model.ListQueryAllSearchCriteriasRequest{GroupId: group})
	if err != nil {
		t.Fatal(err)
	}
	var summary []string
	for _, s := range *all.SearchCriterias {
		for _, x := range s.Criterias {
			summary = append(summary, *s.LogStreamName+"/"+*s.SearchType+"/"+*x.Name)
			if *s.LogStreamId != stream && *s.LogStreamId != other {
				t.Fatalf("a stream of another group: %+v", s)
			}
		}
	}
	wantSameStrings(t, "ListQueryAllSearchCriterias", summary, []string{"app/ORIGINALLOG/errors", "app/VISUALIZATION/by level", "db/ORIGINALLOG/slow"})

	// Errors: a name taken, a type not in the list, no name, a missing
	// stream or group, an id that is not there.
	_, err = create(stream, "errors", "other", "ORIGINALLOG")
	wantErr(t, err, 400, "LTS.0801")
	_, err = create(stream, "x", "y", "RAW")
	wantErr(t, err, 400, "LTS.1901")
	_, err = create(stream, "", "y", "ORIGINALLOG")
	wantErr(t, err, 400, "LTS.0009")
	_, err = create(stream, "x", "", "ORIGINALLOG")
	wantErr(t, err, 400, "LTS.0009")
	_, err = create("00000000-0000-0000-0000-000000000000", "x", "y", "ORIGINALLOG")
	wantErr(t, err, 400, "LTS.0208")
	_, err = c.ListQueryAllSearchCriterias(&model.ListQueryAllSearchCriteriasRequest{GroupId: "00000000-0000-0000-0000-000000000000"})
	wantErr(t, err, 400, "LTS.0201")
	_, err = c.ListCriterias(&model.ListCriteriasRequest{GroupId: group, TopicId: stream, SearchType: ptrTo("raw")})
	wantErr(t, err, 400, "LTS.1901")

	if _, err := c.DeleteSearchCriterias(&model.DeleteSearchCriteriasRequest{GroupId: group, TopicId: stream, Body: &model.DeleteSearchCriterias{Id: errID}}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DeleteSearchCriterias(&model.DeleteSearchCriteriasRequest{GroupId: group, TopicId: stream, Body: &model.DeleteSearchCriterias{Id: errID}})
	wantErr(t, err, 400, "LTS.0803")
	_, err = c.DeleteSearchCriterias(&model.DeleteSearchCriteriasRequest{GroupId: group, TopicId: other, Body: &model.DeleteSearchCriterias{Id: sqlID}})
	wantErr(t, err, 400, "LTS.0803")
	list, err = c.ListCriterias(&model.ListCriteriasRequest{GroupId: group, TopicId: stream})
	if err != nil || len(*list.SearchCriterias) != 1 {
		t.Fatalf("after a delete: %v %+v", err, list)
	}

	// A deleted stream takes its saved searches along.
	if _, err := c.DeleteLogStream(&model.DeleteLogStreamRequest{LogGroupId: group, LogStreamId: other}); err != nil {
		t.Fatal(err)
	}
	all, err = c.ListQueryAllSearchCriterias(&model.ListQueryAllSearchCriteriasRequest{GroupId: group})
	if err != nil || len(*all.SearchCriterias) != 1 || *(*all.SearchCriterias)[0].LogStreamId != stream {
		t.Fatalf("after deleting a stream: %v %+v", err, all)
	}
}

func TestFavorites(t *testing.T) {
	e := start(t, "")
	c := e.lts()
	group := mustCreateGroup(t, c, "fav", 7)
	stream := mustCreateStream(t, c, group, "app", nil)
	r, err := c.Createfavorite(&model.CreatefavoriteRequest{Body: &model.CreatefavoriteReqbody{
		FavoriteResourceId: stream, FavoriteResourceType: "LOG_STREAM", LogGroupId: group, LogStreamId: stream,
		LogGroupName: ptrTo("fav"), LogStreamName: ptrTo("app"), IsGlobal: true}})
	if err != nil {
		t.Fatal(err)
	}
	if *r.FavoriteResourceId != stream || *r.LogGroupId != group || *r.LogStreamName != "app" || *r.ProjectId != testProject || !*r.IsGlobal || *r.CreateTime == 0 {
		t.Fatalf("Createfavorite: %+v", r)
	}
	_, err = c.Createfavorite(&model.CreatefavoriteRequest{Body: &model.CreatefavoriteReqbody{
		FavoriteResourceId: stream, FavoriteResourceType: "LOG_STREAM", LogGroupId: group, LogStreamId: "00000000-0000-0000-0000-000000000000", IsGlobal: true}})
	wantErr(t, err, 400, "LTS.0208")
	_, err = c.Createfavorite(&model.CreatefavoriteRequest{Body: &model.CreatefavoriteReqbody{
		FavoriteResourceId: stream, FavoriteResourceType: "LOG_STREAM", LogGroupId: group, LogStreamId: stream, IsGlobal: false}})
	wantErr(t, err, 400, "LTS.0009")
	favorite := func() bool {
		t.Helper()
		l, err := c.ListLogStream(&model.ListLogStreamRequest{LogGroupId: group})
		if err != nil || len(*l.LogStreams) != 1 {
			t.Fatalf("ListLogStream: %v %+v", err, l)
		}
		all, err := c.ListLogStreams(&model.ListLogStreamsRequest{})
		if err != nil || len(*all.LogStreams) != 1 || *(*all.LogStreams)[0].IsFavorite != *(*l.LogStreams)[0].IsFavorite {
			t.Fatalf("ListLogStreams: %v %+v", err, all)
		}
		return *(*l.LogStreams)[0].IsFavorite
	}
	if !favorite() {
		t.Fatal("a favourite stream is listed with is_favorite false")
	}
	if _, err := c.Deletefavorite(&model.DeletefavoriteRequest{FavResId: stream}); err != nil {
		t.Fatal(err)
	}
	if favorite() {
		t.Fatal("a stream no longer favourite is listed with is_favorite true")
	}
	_, err = c.Deletefavorite(&model.DeletefavoriteRequest{FavResId: stream})
	wantErr(t, err, 400, "LTS.0804")
}

func TestHistorySQL(t *testing.T) {
	e := start(t, "")
	c := e.lts()
	group := mustCreateGroup(t, c, "hist", 7)
	stream := mustCreateStream(t, c, group, "app", nil)
	now := time.Now()
	e.ingestAt(t, group, stream, now.Add(-time.Minute), "error one", "info two")
	query := func(q string) error {
		_, err := c.ListStructuredLogsWithTimeRange(&model.ListStructuredLogsWithTimeRangeRequest{LogStreamId: stream, Body: &model.QueryLtsStructLogParamsNew{
			Query: q, Format: "k-v", TimeRange: &model.TimeRange{StartTime: now.Add(-time.Hour).UnixMilli(), EndTime: now.Add(time.Minute).UnixMilli()}}})
		return err
	}
	for _, q := range []string{"SELECT count(*) AS n", "error | SELECT count(*) AS n", "SELECT count(*) AS n"} {
		if err := query(q); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * time.Millisecond)
	}
	if err := query("SELECT nope("); err == nil {
		t.Fatal("a bad statement ran")
	}
	h, err := c.ListHistorySql(&model.ListHistorySqlRequest{LogGroupId: group, LogStreamId: stream})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range *h.Results {
		got = append(got, *r.SqlStatement)
		if *r.LastUseTime < now.UnixMilli() {
			t.Fatalf("last_use_time %d is before the queries", *r.LastUseTime)
		}
	}
	if len(got) != 2 || got[0] != "SELECT count(*) AS n" || got[1] != "error | SELECT count(*) AS n" {
		t.Fatalf("history %q, want the two statements that ran, the last used first", got)
	}
	_, err = c.ListHistorySql(&model.ListHistorySqlRequest{LogGroupId: group, LogStreamId: "00000000-0000-0000-0000-000000000000"})
	wantErr(t, err, 400, "LTS.0208")
}
