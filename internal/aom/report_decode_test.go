package aom

import (
	"reflect"
	"testing"

	"logtank/internal/wire"
)

// generic decodes body the slow way, as the fallback does.
func generic(body []byte) ([]*reportItem, error) {
	var items []*reportItem
	err := wire.Decode(body, &items)
	return items, err
}

var fastBodies = []string{
	`[{"collect_time":1467787152000,"metric":{"namespace":"NOPAAS.ESC","dimensions":[{"name":"instance_id","value":"instance-101"}]},"values":[{"unit":"percent","metric_name":"cpu_util","type":"int","value":35}]}]`,
	" [ { \"values\" : [ { \"value\" : -1.5e-3 , \"type\" : null } ] , \"metric\" : { \"dimensions\" : [ ] } , \"collect_time\" : -0 } ] \n",
	`[{"metric":{"namespace":"ÄÖ.日本","dimensions":[{"name":"n","value":"välue"},{}]},"values":[{},{"metric_name":"m","value":0}]},{}]`,
	`[]`,
	`[{"collect_time":9223372036854775807,"values":[{"value":1.7976931348623157e308}]}]`,
}

func TestFastReportMatchesGeneric(t *testing.T) {
	for _, b := range fastBodies {
		fast, ok := fastReport([]byte(b))
		if !ok {
			t.Errorf("the fast path gave up on %s", b)
			continue
		}
		slow, err := generic([]byte(b))
		if err != nil || !reflect.DeepEqual(fast, slow) {
			t.Errorf("%s:\nfast %#v\nslow %#v %v", b, fast, slow, err)
		}
	}
}

func TestFastReportGivesUp(t *testing.T) {
	for _, b := range []string{
		`[{"metric":{"namespace":"A\u002eB"}}]`,        // an escape
		`[{"collect_time":"1467787152000"}]`,           // a number in a string
		`[{"collect_time":1.5e12}]`,                    // not an integer literal
		`[{"values":[{"value":"35"}]}]`,                // a number in a string
		`[{"values":[{"value":1e999}]}]`,               // out of range
		`[null]`,                                       // a null item
		`[{"metric":null}]`,                            // a null object
		`[{"Collect_Time":1}]`,                         // another case
		`[{"extra":1}]`,                                // an unknown field
		`[{"metric":{"namespace":"A.B"},"metric":{}}]`, // a repeated field
		`[{"values":[{"value":01}]}]`,                  // not JSON
		`[{}] x`,                                       // trailing data
		`{"collect_time":1}`,                           // not an array
		"[{\"metric\":{\"namespace\":\"\xff\"}}]",      // invalid UTF-8
		`[{"values":[{"value":NaN}]}]`,
		`[{"values":[{"value":-}]}]`,
		`[{"values":[{"value":1.}]}]`,
		`[`,
	} {
		if _, ok := fastReport([]byte(b)); ok {
			t.Errorf("the fast path took %s", b)
		}
	}
}

// FuzzDecodeReport holds the fast path to the generic decoder: whatever it
// accepts, the generic decoder accepts with the same result.
func FuzzDecodeReport(f *testing.F) {
	for _, b := range fastBodies {
		f.Add([]byte(b))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fast, ok := fastReport(b)
		if !ok {
			return
		}
		slow, err := generic(b)
		if err != nil || !reflect.DeepEqual(fast, slow) {
			t.Fatalf("%q:\nfast %#v\nslow %#v %v", b, fast, slow, err)
		}
	})
}
