package httpapi

import (
	"context"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/wabsp/wabsp/internal/apperr"
	"github.com/wabsp/wabsp/internal/auth"
	"github.com/wabsp/wabsp/openapi"
)

// access is who may call an operation, on top of its scope.
type access int

const (
	// denied is the zero value, so an operation missing from accessRules
	// is refused rather than opened.
	denied access = iota
	// public operations need no token.
	public
	// self operations are open to every authenticated client.
	self
	// adminOnly operations need the admin role and scope.
	adminOnly
	// tenantPath operations act on the {tenant_id} of their path: admins on
	// any tenant, partners on their assigned tenants, tenants on their own.
	tenantPath
	// tenantManage is tenantPath without the tenant itself: settings a
	// business may not change about itself.
	tenantManage
	// partnerPath operations act on the {partner_id} of their path: admins
	// on any partner, partners on themselves.
	partnerPath
)

// rule is an operation's access and the scope its token must hold ("" for
// none).
type rule struct {
	scope  string
	access access
}

// accessRules is the one authorization table: every operation of the spec
// has a line here, or it is refused to everyone (TestEveryOperationHasARule).
var accessRules = map[string]rule{
	"createToken":  {"", public},
	"getJwks":      {"", public},
	"getHealth":    {"", public},
	"getReadiness": {"", public},

	"getMe": {"", self},

	"getTenant":         {auth.ScopeTenantsRead, tenantPath},
	"updateTenant":      {auth.ScopeTenantsWrite, tenantManage},
	"listWabas":         {auth.ScopeTenantsRead, tenantPath},
	"createWaba":        {auth.ScopeTenantsWrite, tenantPath},
	"getWaba":           {auth.ScopeTenantsRead, tenantPath},
	"updateWaba":        {auth.ScopeTenantsWrite, tenantPath},
	"deleteWaba":        {auth.ScopeTenantsWrite, tenantPath},
	"listPhoneNumbers":  {auth.ScopeTenantsRead, tenantPath},
	"createPhoneNumber": {auth.ScopeTenantsWrite, tenantPath},
	"getPhoneNumber":    {auth.ScopeTenantsRead, tenantPath},
	"deletePhoneNumber": {auth.ScopeTenantsWrite, tenantPath},

	"createOnboarding":     {auth.ScopeTenantsWrite, tenantManage},
	"retryOnboarding":      {auth.ScopeTenantsWrite, tenantManage},
	"getOnboarding":        {auth.ScopeTenantsRead, tenantPath},
	"listOnboardings":      {auth.ScopeTenantsRead, tenantPath},
	"listAdminOnboardings": {auth.ScopeAdmin, adminOnly},

	"listPartnerTenants": {auth.ScopeTenantsRead, partnerPath},

	"listTenants":           {auth.ScopeAdmin, adminOnly},
	"createTenant":          {auth.ScopeAdmin, adminOnly},
	"suspendTenant":         {auth.ScopeAdmin, adminOnly},
	"resumeTenant":          {auth.ScopeAdmin, adminOnly},
	"listPartners":          {auth.ScopeAdmin, adminOnly},
	"createPartner":         {auth.ScopeAdmin, adminOnly},
	"assignPartnerTenant":   {auth.ScopeAdmin, adminOnly},
	"unassignPartnerTenant": {auth.ScopeAdmin, adminOnly},
	"listClients":           {auth.ScopeAdmin, adminOnly},
	"createClient":          {auth.ScopeAdmin, adminOnly},
	"disableClient":         {auth.ScopeAdmin, adminOnly},
	"listAuditLog":          {auth.ScopeAdmin, adminOnly},

	"getQualitySummary":          {auth.ScopeQualityRead, tenantPath},
	"listQualityNumbers":         {auth.ScopeQualityRead, tenantPath},
	"getQualityNumber":           {auth.ScopeQualityRead, tenantPath},
	"listQualityNumberHistory":   {auth.ScopeQualityRead, tenantPath},
	"listQualityAccountHistory":  {auth.ScopeQualityRead, tenantPath},
	"getQualityNumberDaily":      {auth.ScopeQualityRead, tenantPath},
	"listQualityTemplates":       {auth.ScopeQualityRead, tenantPath},
	"getQualityTemplate":         {auth.ScopeQualityRead, tenantPath},
	"listQualityTemplateHistory": {auth.ScopeQualityRead, tenantPath},
	"getQualityTemplateDaily":    {auth.ScopeQualityRead, tenantPath},
	"createTemplate":             {auth.ScopeQualityWrite, tenantPath},
	"editTemplate":               {auth.ScopeQualityWrite, tenantPath},
	"deleteTemplate":             {auth.ScopeQualityWrite, tenantPath},
	"deleteTemplatesByName":      {auth.ScopeQualityWrite, tenantPath},
	"listQualityAlerts":          {auth.ScopeQualityRead, tenantPath},
	"acknowledgeQualityAlert":    {auth.ScopeTenantsWrite, tenantPath},
	"listQualityOverview":        {auth.ScopeAdmin, adminOnly},
	"listOpenQualityAlerts":      {auth.ScopeAdmin, adminOnly},

	"getBillingUsage":    {auth.ScopeBillingRead, tenantPath},
	"getMessage":         {auth.ScopeBillingRead, tenantPath},
	"getAdminMessage":    {auth.ScopeAdmin, adminOnly},
	"getBillingEstimate": {auth.ScopeBillingRead, tenantPath},
	"listInvoices":       {auth.ScopeBillingRead, tenantPath},
	"getInvoice":         {auth.ScopeBillingRead, tenantPath},
	"getBillingPrices":   {auth.ScopeBillingRead, tenantPath},
	"getBillingPlan":     {auth.ScopeBillingRead, tenantPath},
	"setBillingPlan":     {auth.ScopeAdmin, adminOnly},
	"finalizeInvoice":    {auth.ScopeAdmin, adminOnly},
	"reconcileBilling":   {auth.ScopeAdmin, adminOnly},
	"recountBilling":     {auth.ScopeAdmin, adminOnly},
	"getRateCard":        {auth.ScopeAdmin, adminOnly},
	"importRates":        {auth.ScopeAdmin, adminOnly},
	"listBillingMargins": {auth.ScopeAdmin, adminOnly},

	"listContacts":               {auth.ScopeOptinsRead, tenantPath},
	"createContact":              {auth.ScopeOptinsWrite, tenantPath},
	"getContact":                 {auth.ScopeOptinsRead, tenantPath},
	"getContactConsentHistory":   {auth.ScopeOptinsRead, tenantPath},
	"acknowledgeContactIdentity": {auth.ScopeOptinsWrite, tenantPath},
	"eraseContact":               {auth.ScopeOptinsWrite, tenantPath},
	"listConsents":               {auth.ScopeOptinsRead, tenantPath},
	"recordConsent":              {auth.ScopeOptinsWrite, tenantPath},
	"exportConsents":             {auth.ScopeOptinsRead, tenantPath},
	"checkEligibility":           {auth.ScopeOptinsRead, tenantPath},
	"checkEligibilityBulk":       {auth.ScopeOptinsRead, tenantPath},
	"sendMessage":                {auth.ScopeMessagesWrite, tenantPath},
	"listSends":                  {auth.ScopeMessagesRead, tenantPath},
	"getSend":                    {auth.ScopeMessagesRead, tenantPath},
	"createCampaign":             {auth.ScopeMessagesWrite, tenantPath},
	"listCampaigns":              {auth.ScopeMessagesRead, tenantPath},
	"getCampaign":                {auth.ScopeMessagesRead, tenantPath},
	"listCampaignRecipients":     {auth.ScopeMessagesRead, tenantPath},
	"cancelCampaign":             {auth.ScopeMessagesWrite, tenantPath},
	"getOptinSettings":           {auth.ScopeOptinsRead, tenantPath},
	"updateOptinSettings":        {auth.ScopeOptinsWrite, tenantPath},
	"listContactImports":         {auth.ScopeOptinsRead, tenantPath},
	"importContacts":             {auth.ScopeOptinsWrite, tenantPath},
	"getContactImport":           {auth.ScopeOptinsRead, tenantPath},
	"listContactImportErrors":    {auth.ScopeOptinsRead, tenantPath},

	"annotateMessages":        {auth.ScopeInsightsWrite, tenantPath},
	"recordInsightEvents":     {auth.ScopeInsightsWrite, tenantPath},
	"getResponseTimes":        {auth.ScopeInsightsRead, tenantPath},
	"getMessageFunnel":        {auth.ScopeInsightsRead, tenantPath},
	"getBusiestHours":         {auth.ScopeInsightsRead, tenantPath},
	"getContactActivity":      {auth.ScopeInsightsRead, tenantPath},
	"getBusinessHours":        {auth.ScopeInsightsRead, tenantPath},
	"setBusinessHours":        {auth.ScopeInsightsWrite, tenantPath},
	"listJourneys":            {auth.ScopeInsightsRead, tenantPath},
	"createJourney":           {auth.ScopeInsightsWrite, tenantPath},
	"getJourney":              {auth.ScopeInsightsRead, tenantPath},
	"deleteJourney":           {auth.ScopeInsightsWrite, tenantPath},
	"getJourneyResults":       {auth.ScopeInsightsRead, tenantPath},
	"compareJourney":          {auth.ScopeInsightsRead, tenantPath},
	"listExperiments":         {auth.ScopeInsightsRead, tenantPath},
	"createExperiment":        {auth.ScopeInsightsWrite, tenantPath},
	"getExperiment":           {auth.ScopeInsightsRead, tenantPath},
	"deleteExperiment":        {auth.ScopeInsightsWrite, tenantPath},
	"getExperimentAssignment": {auth.ScopeInsightsRead, tenantPath},
	"getExperimentResults":    {auth.ScopeInsightsRead, tenantPath},

	"listArchivedWebhooks": {auth.ScopeAdmin, adminOnly},
	"getArchivedWebhook":   {auth.ScopeAdmin, adminOnly},
	"createWebhookReplay":  {auth.ScopeAdmin, adminOnly},

	"getWebhookEventTypes":             {"", self},
	"listWebhookSubscriptions":         {auth.ScopeWebhooksRead, tenantPath},
	"createWebhookSubscription":        {auth.ScopeWebhooksWrite, tenantPath},
	"getWebhookSubscription":           {auth.ScopeWebhooksRead, tenantPath},
	"updateWebhookSubscription":        {auth.ScopeWebhooksWrite, tenantPath},
	"deleteWebhookSubscription":        {auth.ScopeWebhooksWrite, tenantPath},
	"rotateWebhookSecret":              {auth.ScopeWebhooksWrite, tenantPath},
	"sendWebhookTest":                  {auth.ScopeWebhooksWrite, tenantPath},
	"replayWebhookEvents":              {auth.ScopeWebhooksWrite, tenantPath},
	"listWebhookDeliveries":            {auth.ScopeWebhooksRead, tenantPath},
	"getWebhookDelivery":               {auth.ScopeWebhooksRead, tenantPath},
	"replayWebhookDelivery":            {auth.ScopeWebhooksWrite, tenantPath},
	"listPartnerWebhookSubscriptions":  {auth.ScopeWebhooksRead, partnerPath},
	"createPartnerWebhookSubscription": {auth.ScopeWebhooksWrite, partnerPath},
	"getPartnerWebhookSubscription":    {auth.ScopeWebhooksRead, partnerPath},
	"updatePartnerWebhookSubscription": {auth.ScopeWebhooksWrite, partnerPath},
	"deletePartnerWebhookSubscription": {auth.ScopeWebhooksWrite, partnerPath},
	"rotatePartnerWebhookSecret":       {auth.ScopeWebhooksWrite, partnerPath},
	"sendPartnerWebhookTest":           {auth.ScopeWebhooksWrite, partnerPath},
	"replayPartnerWebhookEvents":       {auth.ScopeWebhooksWrite, partnerPath},
	"listPartnerWebhookDeliveries":     {auth.ScopeWebhooksRead, partnerPath},
	"getPartnerWebhookDelivery":        {auth.ScopeWebhooksRead, partnerPath},
	"replayPartnerWebhookDelivery":     {auth.ScopeWebhooksWrite, partnerPath},
	"getWebhookHealth":                 {auth.ScopeAdmin, adminOnly},
}

var (
	errNoAccess     = auth.ErrNoTenantAccess
	errNotAdmin     = apperr.New(apperr.Forbidden, "this operation is for admins only")
	errSuspended    = apperr.New(apperr.TenantSuspended, "the tenant is suspended")
	errNotPermitted = apperr.New(apperr.Forbidden, "operation not permitted")
)

// authorizer enforces accessRules for the strict handlers.
type authorizer struct {
	partners *partnerCache
	// suspended reports whether a tenant is suspended. It is asked on every
	// non-admin call for a tenant, uncached, so a suspension applies at once.
	suspended func(ctx context.Context, tenantID uuid.UUID) (bool, error)
}

// middleware is the StrictMiddlewareFunc that checks each call against its
// operation's rule before the handler runs.
func (a *authorizer) middleware(next openapi.StrictHandlerFunc, operationID string) openapi.StrictHandlerFunc {
	r, known := accessRules[operationName(operationID)]
	return func(c *fiber.Ctx, req any) (any, error) {
		if !known || r.access == denied {
			return nil, errNotPermitted
		}
		if r.access == public {
			return next(c, req)
		}
		ctx := c.UserContext()
		p, ok := auth.PrincipalFrom(ctx)
		if !ok {
			return nil, apperr.New(apperr.Unauthenticated, "a bearer token is required")
		}
		if err := a.check(ctx, p, r, c.Params("tenant_id"), c.Params("partner_id")); err != nil {
			return nil, err
		}
		return next(c, req)
	}
}

func (a *authorizer) check(ctx context.Context, p auth.Principal, r rule, tenantParam, partnerParam string) error {
	if r.scope != "" && !p.HasScope(r.scope) {
		return apperr.New(apperr.Forbidden, "this token lacks scope %s", r.scope)
	}
	switch r.access {
	case self:
		return a.notSuspended(ctx, p, p.TenantID)
	case adminOnly:
		if p.Role != auth.RoleAdmin {
			return errNotAdmin
		}
		return nil
	case tenantPath, tenantManage:
		tenantID, err := uuid.Parse(tenantParam)
		if err != nil {
			return errNoAccess
		}
		if err := a.mayActFor(ctx, p, tenantID, r.access == tenantManage); err != nil {
			return err
		}
		return a.notSuspended(ctx, p, tenantID)
	case partnerPath:
		partnerID, err := uuid.Parse(partnerParam)
		if err != nil {
			return errNoAccess
		}
		if p.Role == auth.RoleAdmin || (p.Role == auth.RolePartner && p.PartnerID == partnerID) {
			return nil
		}
		return apperr.New(apperr.Forbidden, "this client may not act for that partner")
	}
	return errNotPermitted
}

func (a *authorizer) mayActFor(ctx context.Context, p auth.Principal, tenantID uuid.UUID, manage bool) error {
	return auth.MayActFor(ctx, p, tenantID, manage, a.partners.has)
}

// notSuspended refuses non-admin callers acting for a suspended tenant.
// Admins still reach it, to look into it and to resume it.
func (a *authorizer) notSuspended(ctx context.Context, p auth.Principal, tenantID uuid.UUID) error {
	if p.Role == auth.RoleAdmin || tenantID == uuid.Nil {
		return nil
	}
	suspended, err := a.suspended(ctx, tenantID)
	if err != nil {
		return err
	}
	if suspended {
		return errSuspended
	}
	return nil
}
