package lts

import (
	"reflect"
	"testing"
)

// decodeHighAccuracy must return what encoding/json returns, or step aside.
func checkHighAccuracy(t *testing.T, body string, wantFast bool) {
	t.Helper()
	got, ok := decodeHighAccuracy([]byte(body))
	if ok != wantFast {
		t.Fatalf("%s: fast path %v, want %v", body, ok, wantFast)
	}
	if !ok {
		return
	}
	var want highAccuracyRequest
	if err := decodeJSON([]byte(body), &want); err != nil {
		t.Fatalf("%s: the fast path read what encoding/json refuses: %v", body, err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s:\nfast %#v\njson %#v", body, got, want)
	}
}

func TestDecodeHighAccuracy(t *testing.T) {
	f := func(body string, wantFast bool) { t.Helper(); checkHighAccuracy(t, body, wantFast) }
	f(`{"contents":[{"log_time_ns":1700000000000000000,"log":"a b"},{"log":"c","log_time_ns":-5}],"labels":{"host":"h1","app":"x"}}`, true)
	f(" {\n\t\"labels\" : { } , \"contents\" : [ ] }\r\n", true)
	f(`{}`, true)
	f(`{"log_time_ns":1700000000000000000,"contents":[{"log_time_ns":1700000000000000001,"log":"a"}],"labels":{"host":"h"}}`, true)
	f(`{"log_time_ns":"1","contents":[]}`, false)
	f(`{"contents":[{}]}`, true)
	f(`{"contents":[{"log_time_ns":1,"log":"tab\there \"quoted\" é"}]}`, true)
	f(`{"contents":[{"log_time_ns":1,"log":"é 日本"}],"labels":{"k":"v","k":"w"}}`, true)
	f(`{"contents":[{"log":"C:\\dir\\f \/ \b\f\n\r\t\"\"end"},{"log":"A\n"}]}`, true)
	// Left to encoding/json: other spellings and keys, repeated keys,
	// nulls, times as strings or floats, \u escapes, invalid UTF-8 or JSON.
	f(`{"contents":[{"log_time_ns":1,"log":"\u00e9 \ud83d\ude00"}]}`, false)
	f(`{"contents":[{"log_time_ns":1,"log":"bad \ud800 surrogate"}]}`, false)
	f(`{"Contents":[]}`, false)
	f(`{"contents":[],"extra":1}`, false)
	f(`{"contents":[],"contents":[]}`, false)
	f(`{"contents":[{"log_time_ns":1,"log_time_ns":2}]}`, false)
	f(`{"contents":null}`, false)
	f(`{"contents":[{"log_time_ns":"1","log":"a"}]}`, false)
	f(`{"contents":[{"log_time_ns":1.0,"log":"a"}]}`, false)
	f(`{"contents":[{"log_time_ns":1e3,"log":"a"}]}`, false)
	f(`{"contents":[{"log_time_ns":01,"log":"a"}]}`, false)
	f(`{"contents":[{"log_time_ns":99999999999999999999,"log":"a"}]}`, false)
	f(`{"contents":[{"log_time_ns":1,"log":null}]}`, false)
	f(`{"labels":{"k":1}}`, false)
	f("{\"contents\":[{\"log\":\"\xff\"}]}", false)
	f("{\"contents\":[{\"log\":\"a\nb\"}]}", false)
	f(`{"contents":[{"log":"a"}]} x`, false)
	f(`{"contents":[{"log":"a"},]}`, false)
	f(`{"contents":[{"log":"a\"}]}`, false)
	f(`{"contents":[{"log":"a\x"}]}`, false)
	f(`{"contents":[{"log":"a\u00"}]}`, false)
	f(``, false)
}

func FuzzDecodeHighAccuracy(f *testing.F) {
	f.Add(`{"contents":[{"log_time_ns":1700000000000000000,"log":"a b"},{"log":"c\"d","log_time_ns":-5}],"labels":{"host":"h1"}}`)
	f.Add(`{"contents":[{"log":"C:\\x \t\"q\" \u00e9\n"}]}`)
	f.Add(`{"log_time_ns":7,"contents":[{"log_time_ns":1,"log":"\ud83d\ude00 \u00e9"}],"labels":{}}`)
	f.Fuzz(func(t *testing.T, body string) {
		got, ok := decodeHighAccuracy([]byte(body))
		if !ok {
			return
		}
		var want highAccuracyRequest
		if err := decodeJSON([]byte(body), &want); err != nil {
			t.Fatalf("%q: the fast path read what encoding/json refuses: %v", body, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%q:\nfast %#v\njson %#v", body, got, want)
		}
	})
}
