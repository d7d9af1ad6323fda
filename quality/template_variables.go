package quality

import (
	"encoding/json"
	"strings"
)

// BodyVariableCount is how many distinct variables the BODY of stored
// components (Meta's JSON shape) takes, so a send can be checked against it
// before Meta refuses it with 132000. It is -1 when the components are
// unknown: templates seen only through webhooks or polls carry none.
func BodyVariableCount(components []byte) int {
	if len(components) == 0 {
		return -1
	}
	var comps []TemplateComponent
	if err := json.Unmarshal(components, &comps); err != nil {
		return -1
	}
	for _, c := range comps {
		if strings.EqualFold(c.Type, "BODY") {
			// The rules' own parser, with its findings discarded: a stored
			// template already passed them, or Meta's version wins.
			return len(checkVariables(&violations{}, "", c.Text, false, true))
		}
	}
	return -1
}
