package logquery_test

import (
	"fmt"

	"logtank/internal/logquery"
)

func Example() {
	q, err := logquery.Parse(`log and not warn* and hostName:ecs-*`, logquery.DefaultTokenizer())
	if err != nil {
		panic(err)
	}
	labels := map[string]string{"hostName": "ecs-kwxtest"}
	label := func(k string) (string, bool) { v, ok := labels[k]; return v, ok }
	line := "2020-07-25/14:44:42 this log is Error NO 1\n"
	if q.Match(line, label) {
		fmt.Printf("%q\n", q.Highlight(line))
	}

	_, err = logquery.Parse("*rror", nil)
	fmt.Println(err)
	// Output:
	// "2020-07-25/14:44:42 this <HighLightTag>log</HighLightTag> is Error NO 1\n"
	// '*' and '?' not allowed as first character: "*rror" at position 1
}
