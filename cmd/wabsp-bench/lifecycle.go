package main

import (
	"fmt"
	"time"

	"github.com/wabsp/wabsp/internal/metasim"
)

// lifecycleKinds are the statuses --lifecycle gives each message, with how
// far behind its "sent" each comes, in seconds of traffic.
var lifecycleKinds = [...]struct {
	status string
	behind float64
}{{"sent", 0}, {"delivered", 1}, {"read", 10}}

// e2eBody is body number i of (c).
func (e *benchEnv) e2eBody(i int64) signedBody {
	if e.o.lifecycle {
		return e.lifecycleBody(i)
	}
	return e.statusBody(i, e.o.perBody)
}

// lifecycleBody is body i of (c) under --lifecycle: a third of its statuses
// are "sent" for new messages, a third "delivered" for messages sent a
// second of traffic earlier and a third "read" for ones sent ten seconds
// earlier, as Meta reports most messages, so two statuses in three rewrite
// the rows of a message already stored. Each status is still new, so the
// count of rows in message_statuses still equals the statuses sent. While
// no message is that far back, the slot carries a new message's "sent".
//
// A body carries the statuses of one number, so the distances are whole
// rounds of the numbers, and the timestamps follow the body's place in the
// offered traffic, so every message's statuses come in their real order.
func (e *benchEnv) lifecycleBody(i int64) signedBody {
	perSecond := e.o.e2eRate / float64(e.o.perBody)
	numbers := int64(len(e.waba))
	n := e.waba[i%numbers]
	st := make([]metasim.Status, e.o.perBody)
	for j := range st {
		kind := lifecycleKinds[j%len(lifecycleKinds)]
		back := int64(kind.behind*perSecond) / numbers * numbers
		from, slot, status := i-back, j/len(lifecycleKinds), kind.status
		if from < 0 {
			from, slot, status = i, e.o.perBody+j, "sent"
		}
		st[j] = metasim.Status{
			WAMID:       fmt.Sprintf("wamid.bench.%d.%d", from, slot),
			Status:      status,
			Timestamp:   e.trafficStart.Add(time.Duration(float64(i) / perSecond * float64(time.Second))),
			RecipientID: fmt.Sprintf("62812%07d", (int(from)*2*e.o.perBody+slot)%10000000),
			Pricing:     &metasim.Pricing{Billable: true, Model: "PMP", Type: "regular", Category: "marketing"},
		}
	}
	raw := metasim.StatusesBody(n.wabaID, n.phoneNumberID, digits(n.display), st)
	return signedBody{raw: raw, sig: sign(e.secret, raw)}
}
