package lts

import (
	"encoding/json"
	"testing"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/lts/v2/model"

	"logtank/internal/structuring"
)

func TestStructConfig(t *testing.T) {
	sdk := model.StructConfig{LogGroupId: "g", LogStreamId: "s", TemplateName: "nginx",
		TemplateType: model.GetStructConfigTemplateTypeEnum().BUILT_IN}
	b, _ := json.Marshal(sdk)
	var c structConfig
	if err := decodeJSON(b, &c); err != nil {
		t.Fatal(err)
	}
	if err := c.validate(); err != nil {
		t.Fatalf("validate(%s): %v", b, err)
	}
	if r, err := builtInTemplateRule(c.TemplateName); err != nil || r.Kind != structuring.KindBuiltIn {
		t.Errorf("builtInTemplateRule: %+v %v", r, err)
	}
	c.TemplateType = "other"
	wantCatalogued(t, "template_type", c.validate(), "LTS.1901", "template_type is not in the list [built_in, custom]")
	c.TemplateType, c.TemplateId = templateCustom, ""
	wantCatalogued(t, "template_id", c.validate(), "LTS.0009", "template_id is required when template_type is custom")
}
