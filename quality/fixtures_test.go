package quality_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// TestFixtures feeds each quality-relevant Meta fixture through the intake
// into a clean state and checks the exact state, history, alerts and domain
// events it leaves; applying the same changes again must change nothing.
func TestFixtures(t *testing.T) {
	e := newEnv(t)
	tenant := e.seedMain(t)
	all := fixtures(t)
	tests := map[string]snapshot{
		"account_alerts-1": {
			State:   []string{"account 102290129340398 limit= max_numbers= review= ban= connection= violation= restrictions= alerts=INCREASED_CAPABILITIES_ELIGIBILITY_DEFERRED=ACTIVE"},
			History: []string{"account alert:INCREASED_CAPABILITIES_ELIGIBILITY_DEFERRED=ACTIVE old=- 2025-04-25T20:15:59 webhook"},
			Alerts:  []string{"meta:INCREASED_CAPABILITIES_ELIGIBILITY_DEFERRED warning ACTIVE account open"},
			Events:  []string{"account.updated", "quality.alert.opened"},
		},
		"account_review_update-1": {
			State:   []string{"account 102290129340398 limit= max_numbers= review=APPROVED ban= connection= violation= restrictions= alerts="},
			History: []string{"account review_decision=APPROVED old=- 2025-02-12T00:43:44 webhook"},
			Alerts:  nil,
			Events:  []string{"account.updated"},
		},
		"account_update-1": {
			State:   []string{"account 102290129340398 limit= max_numbers= review= ban= connection=DELETED violation= restrictions= alerts="},
			History: []string{"account connection=DELETED old=- 2025-03-31T20:11:43 webhook", "account event=ACCOUNT_DELETED old=- 2025-03-31T20:11:43 webhook"},
			Alerts:  []string{"account_offboarded critical DELETED account open"},
			Events:  []string{"account.updated", "account.updated", "quality.alert.opened"},
		},
		"account_update-16": {
			State:   []string{"account 102290129340398 limit= max_numbers= review= ban= connection=OFFBOARDED violation= restrictions= alerts="},
			History: []string{"account connection=OFFBOARDED old=- 2025-03-31T20:11:43 webhook", "account event=ACCOUNT_OFFBOARDED old=- 2025-03-31T20:11:43 webhook"},
			Alerts:  []string{"account_offboarded warning OFFBOARDED account open"},
			Events:  []string{"account.updated", "account.updated", "quality.alert.opened"},
		},
		"account_update-17": {
			State:   []string{"account 102290129340398 limit= max_numbers= review= ban= connection=CONNECTED violation= restrictions= alerts="},
			History: []string{"account connection=CONNECTED old=- 2025-03-31T20:11:43 webhook", "account event=ACCOUNT_RECONNECTED old=- 2025-03-31T20:11:43 webhook"},
			Alerts:  nil,
			Events:  []string{"account.updated", "account.updated"},
		},
		"account_update-2": {
			State:   []string{"account 102290129340398 limit= max_numbers= review= ban= connection= violation= restrictions=RESTRICTED_ADD_PHONE_NUMBER_ACTION,RESTRICTED_BIZ_INITIATED_MESSAGING alerts="},
			History: []string{"account event=ACCOUNT_RESTRICTION old=- 2022-01-04T21:08:18 webhook", "account restrictions=RESTRICTED_ADD_PHONE_NUMBER_ACTION,RESTRICTED_BIZ_INITIATED_MESSAGING old=- 2022-01-04T21:08:18 webhook"},
			Alerts:  []string{"account_restricted critical RESTRICTED_BIZ_INITIATED_MESSAGING,RESTRICTED_ADD_PHONE_NUMBER_ACTION account open"},
			Events:  []string{"account.updated", "account.updated", "quality.alert.opened"},
		},
		"account_update-3": {
			State:   []string{"account 102290129340398 limit= max_numbers= review= ban= connection= violation=ADULT restrictions= alerts="},
			History: []string{"account event=ACCOUNT_VIOLATION old=- 2025-03-31T20:11:43 webhook", "account violation=ADULT old=- 2025-03-31T20:11:43 webhook"},
			Alerts:  nil,
			Events:  []string{"account.updated", "account.updated"},
		},
		"account_update-5": {
			State:   []string{"account 102290129340398 limit= max_numbers= review= ban= connection= violation= restrictions= alerts="},
			History: []string{"account event=AUTH_INTL_PRICE_ELIGIBILITY_UPDATE old=- 2025-03-31T20:11:43 webhook"},
			Alerts:  nil,
			Events:  []string{"account.updated"},
		},
		"account_update-6": {
			State:   []string{"account 102290129340398 limit= max_numbers= review= ban=REINSTATE connection= violation= restrictions= alerts="},
			History: []string{"account ban_state=REINSTATE old=- 2025-03-31T20:11:43 webhook", "account event=DISABLED_UPDATE old=- 2025-03-31T20:11:43 webhook"},
			Alerts:  nil,
			Events:  []string{"account.updated", "account.updated"},
		},
		"business_capability_update-1": {
			State:   []string{"account 524126980791429 limit=TIER_2K max_numbers=25 review= ban= connection= violation= restrictions= alerts="},
			History: []string{"account max_phone_numbers=25 old=- 2025-02-12T00:43:44 webhook", "account messaging_limit=TIER_2K old=- 2025-02-12T00:43:44 webhook"},
			Alerts:  nil,
			Events:  []string{"account.updated", "account.updated"},
		},
		"message_template_quality_update-1": {
			State:   []string{"template 806312974732579 welcome_template/en-US status= reason= quality=YELLOW category= previous= pending=@- pauses=0"},
			History: []string{"template quality_score=YELLOW old=- 2023-01-28T00:04:50 webhook"},
			Alerts:  nil,
			Events:  []string{"template.quality.changed"},
		},
		"message_template_status_update-1": {
			State:   []string{"template 1689556908129832 order_confirmation/en-US status=APPROVED reason= quality= category=UTILITY previous= pending=@- pauses=0"},
			History: []string{"template category=UTILITY old=- 2025-06-30T01:39:08 webhook", "template status=APPROVED old=- 2025-06-30T01:39:08 webhook"},
			Alerts:  nil,
			Events:  []string{"template.category.changed", "template.status.changed"},
		},
		"message_template_status_update-2": {
			State:   []string{"template 1689556908129835 abandoned_cart/en status=REJECTED reason=INVALID_FORMAT quality= category=MARKETING previous= pending=@- pauses=0"},
			History: []string{"template category=MARKETING old=- 2025-06-30T01:39:08 webhook", "template status=REJECTED old=- 2025-06-30T01:39:08 webhook"},
			Alerts:  []string{"template_rejected warning REJECTED template open"},
			Events:  []string{"quality.alert.opened", "template.category.changed", "template.status.changed"},
		},
		"message_template_status_update-3": {
			State:   []string{"template 64244916695 Summer 20 Template/en_US status=APPROVED reason= quality= category= previous= pending=@- pauses=0"},
			History: []string{"template status=APPROVED old=- 2024-11-14T20:57:11 webhook"},
			Alerts:  nil,
			Events:  []string{"template.status.changed"},
		},
		"phone_number_name_update-1": {
			State:   []string{"number 102290129340398/15550783881 id=106540352242922 rating= status= name=APPROVED throughput= tier= limit= flagged=-"},
			History: []string{"number name_status=APPROVED old=- 2025-02-12T00:43:44 webhook"},
			Alerts:  nil,
			Events:  []string{"quality.phone_number.changed"},
		},
		"phone_number_quality_update-1": {
			State:   []string{"number 102290129340398/15550783881 id=106540352242922 rating= status= name= throughput=HIGH tier= limit=TIER_UNLIMITED flagged=-"},
			History: []string{"number event=THROUGHPUT_UPGRADE old=- 2025-05-28T17:46:34 webhook", "number messaging_limit=TIER_UNLIMITED old=- 2025-05-28T17:46:34 webhook", "number throughput=HIGH old=- 2025-05-28T17:46:34 webhook"},
			Alerts:  nil,
			Events:  []string{"quality.phone_number.changed", "quality.phone_number.changed"},
		},
		"phone_number_quality_update-2": {
			State:   []string{"number 495709166956424/124545784358810 id= rating=RED status=FLAGGED name= throughput= tier=TIER_10K limit= flagged=2024-11-14T20:57:11"},
			History: []string{"number event=FLAGGED old=- 2024-11-14T20:57:11 webhook", "number legacy_tier=TIER_10K old=- 2024-11-14T20:57:11 webhook", "number quality_rating=RED old=- 2024-11-14T20:57:11 webhook", "number status=FLAGGED old=- 2024-11-14T20:57:11 webhook"},
			Alerts:  []string{"number_quality critical RED number open", "number_status warning FLAGGED number open"},
			Events:  []string{"quality.alert.opened", "quality.alert.opened", "quality.phone_number.changed", "quality.phone_number.changed", "quality.phone_number.changed"},
		},
		"security-1": {
			State:   []string{"number 102290129340398/15550783881 id=106540352242922 rating= status= name= throughput= tier= limit= flagged=-"},
			History: []string{"number security=PIN_RESET_REQUEST old=- 2025-06-01T20:57:53 webhook"},
			Alerts:  nil,
			Events:  nil,
		},
		"template_category_update-1": {
			State:   []string{"template 278077987957091 welcome_template/en-US status= reason= quality= category=UTILITY previous= pending=MARKETING@2025-05-02T07:00:00 pauses=0"},
			History: []string{"template category=UTILITY old=- 2025-05-01T07:00:00 webhook", "template category_pending=MARKETING old=- 2025-05-01T07:00:00 webhook"},
			Alerts:  nil,
			Events:  []string{"template.category.changed", "template.category.changed"},
		},
		"template_category_update-2": {
			State:   []string{"template 278077987957091 welcome_template/en-US status= reason= quality= category=MARKETING previous=UTILITY pending=@- pauses=0"},
			History: []string{"template category=MARKETING old=- 2025-05-02T07:00:00 webhook"},
			Alerts:  nil,
			Events:  []string{"template.category.changed"},
		},
	}
	for name, want := range tests {
		t.Run(name, func(t *testing.T) {
			e.reset(t)
			body, ok := all[name]
			if !ok {
				t.Fatalf("fixture %s missing", name)
			}
			batches := e.deliver(t, body)
			if diff := cmp.Diff(want, e.snapshot(t, tenant), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("after apply (-want +got):\n%s", diff)
			}
			e.apply(t, batches)
			if diff := cmp.Diff(want, e.snapshot(t, tenant), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("after re-apply (-want +got):\n%s", diff)
			}
		})
	}
}
