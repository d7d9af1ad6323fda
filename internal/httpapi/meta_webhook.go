package httpapi

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"hash"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/wabsp/wabsp/internal/apperr"
	"github.com/wabsp/wabsp/internal/config"
	"github.com/wabsp/wabsp/webhooks"
)

// IntakeQueue makes a verified webhook body durable before Meta hears 200.
// It bounds its own wait (under a second), so that Meta hears 503 and
// retries when Redis cannot take the body; the handler arms no timer per
// request. Enqueue reads the body's bytes until it returns and keeps no
// reference to them, so the handler hands in fasthttp's request buffer
// without copying it.
type IntakeQueue interface {
	Enqueue(ctx context.Context, b webhooks.Body) error
}

// MetaWebhookConfig configures the Meta webhook routes. They are written by
// hand rather than generated because the signature covers the raw bytes.
type MetaWebhookConfig struct {
	Secrets     []config.AppSecret
	VerifyToken string
	// MaxBody bounds a webhook body; larger ones get 413.
	MaxBody    int
	Queue      IntakeQueue
	Registerer prometheus.Registerer
}

const (
	signatureHeader = "X-Hub-Signature-256"
	metaWebhookPath = "/webhooks/meta"
)

type metaWebhook struct {
	cfg      MetaWebhookConfig
	log      *slog.Logger
	verifier *signatureVerifier
	outcomes *prometheus.CounterVec
	accepted prometheus.Counter // resolved once: it counts nearly every request
	duration prometheus.Histogram
}

func newMetaWebhook(cfg MetaWebhookConfig, log *slog.Logger) *metaWebhook {
	h := &metaWebhook{
		cfg:      cfg,
		log:      log,
		verifier: newSignatureVerifier(cfg.Secrets),
		outcomes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wabsp_meta_webhook_requests_total",
			Help: "Meta webhook POSTs by outcome (accepted, bad_signature, too_large, unavailable).",
		}, []string{"outcome"}),
	}
	h.duration = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "wabsp_meta_webhook_duration_seconds",
		Help:    "Time to answer a Meta webhook POST, whatever the outcome.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1},
	})
	if cfg.Registerer != nil {
		cfg.Registerer.MustRegister(h.outcomes, h.duration)
	}
	h.accepted = h.outcomes.WithLabelValues("accepted")
	return h
}

// handshake answers Meta's subscription check: echo hub.challenge when the
// verify token matches, 403 otherwise.
func (h *metaWebhook) handshake(c *fiber.Ctx) error {
	token := c.Query("hub.verify_token")
	ok := c.Query("hub.mode") == "subscribe" && h.cfg.VerifyToken != "" &&
		subtle.ConstantTimeCompare([]byte(token), []byte(h.cfg.VerifyToken)) == 1
	if !ok {
		return apperr.New(apperr.Forbidden, "verification failed")
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextPlainCharsetUTF8)
	return c.SendString(c.Query("hub.challenge"))
}

// receive verifies the signature over the raw bytes and answers 200 only once
// the body is durable. A signed body that is not JSON is still accepted: the
// worker archives it as poison for admins, since no retry could fix it. It
// runs outside the generic middleware, so it gives the answer its request
// id and measures itself; failures are logged by the error handler and the
// queue, and get their id there.
func (h *metaWebhook) receive(c *fiber.Ctx) error {
	start := time.Now()
	defer func() { h.duration.Observe(time.Since(start).Seconds()) }()
	body := c.Body()
	if h.cfg.MaxBody > 0 && len(body) > h.cfg.MaxBody {
		h.outcomes.WithLabelValues("too_large").Inc()
		return apperr.New(apperr.PayloadTooLarge, "webhook body exceeds %d bytes", h.cfg.MaxBody)
	}
	appID, ok := h.verifier.verify(body, c.Get(signatureHeader))
	if !ok {
		h.outcomes.WithLabelValues("bad_signature").Inc()
		return apperr.New(apperr.Unauthenticated, "missing or invalid %s", signatureHeader)
	}
	// fasthttp reuses the request buffer only once the handler returns,
	// and Enqueue is done with it by then.
	b := webhooks.Body{Raw: body, ReceivedAt: start.UTC(), AppID: appID}
	if err := h.cfg.Queue.Enqueue(context.Background(), b); err != nil {
		h.outcomes.WithLabelValues("unavailable").Inc()
		h.log.Warn("webhook not made durable; Meta will retry", "err", err, "body_bytes", len(body))
		c.Set(fiber.HeaderRetryAfter, "1")
		return apperr.Wrap(err, apperr.Unavailable, "webhook intake temporarily unavailable")
	}
	h.accepted.Inc()
	stampRequestID(c)
	return c.SendStatus(fiber.StatusOK)
}

// signatureVerifier checks X-Hub-Signature-256 against every configured app
// secret. HMAC states are pooled per secret: building one costs two SHA-256
// blocks and an allocation on every request otherwise.
type signatureVerifier struct {
	apps []appMAC
}

type appMAC struct {
	id   string
	pool *sync.Pool // of *macState
}

// macState keeps the digest next to its HMAC, so summing into it does not
// allocate a buffer per request.
type macState struct {
	mac hash.Hash
	sum [sha256.Size]byte
}

func newSignatureVerifier(secrets []config.AppSecret) *signatureVerifier {
	v := &signatureVerifier{}
	for _, s := range secrets {
		key := s.Secret
		v.apps = append(v.apps, appMAC{id: s.AppID, pool: &sync.Pool{New: func() any { return &macState{mac: hmac.New(sha256.New, key)} }}})
	}
	return v
}

// verify returns the id of the app whose secret signed body.
func (v *signatureVerifier) verify(body []byte, header string) (string, bool) {
	hexSig, found := strings.CutPrefix(header, "sha256=")
	if !found || len(hexSig) != 2*sha256.Size {
		return "", false
	}
	var want [sha256.Size]byte
	if _, err := hex.Decode(want[:], []byte(hexSig)); err != nil {
		return "", false
	}
	matched := ""
	// Every secret is tried even after a match so the time taken does not
	// reveal which app signed.
	for _, a := range v.apps {
		m := a.pool.Get().(*macState)
		m.mac.Reset()
		m.mac.Write(body)
		ok := hmac.Equal(m.mac.Sum(m.sum[:0]), want[:])
		a.pool.Put(m)
		if ok && matched == "" {
			matched = a.id
		}
	}
	return matched, matched != ""
}
