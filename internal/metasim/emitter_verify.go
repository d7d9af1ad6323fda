package metasim

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/url"
)

// Verify performs Meta's subscription handshake: a GET with hub.mode=subscribe,
// a random hub.challenge and the verify token. The callback passes when it
// answers 200 with exactly the challenge as body.
func (e *Emitter) Verify(ctx context.Context, verifyToken string) error {
	challenge, err := newChallenge()
	if err != nil {
		return err
	}
	u, err := url.Parse(e.url)
	if err != nil {
		return fmt.Errorf("metasim: parse callback url: %w", err)
	}
	q := u.Query()
	q.Set("hub.mode", "subscribe")
	q.Set("hub.challenge", challenge)
	q.Set("hub.verify_token", verifyToken)
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return fmt.Errorf("metasim: build verification request: %w", err)
	}
	req.Header.Set("User-Agent", e.userAgent)
	resp, err := e.client.Do(req)
	if err != nil {
		return fmt.Errorf("metasim: verification request: %w", err)
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(io.LimitReader(resp.Body, 1<<10))
	if err != nil {
		return fmt.Errorf("metasim: read verification answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("metasim: callback refused verification with status %d", resp.StatusCode)
	}
	if string(got) != challenge {
		return fmt.Errorf("metasim: callback echoed %q, want the challenge %q", got, challenge)
	}
	return nil
}

// newChallenge returns a random decimal challenge; Graph describes it as an
// integer, receivers must echo it verbatim.
func newChallenge() (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000_000))
	if err != nil {
		return "", fmt.Errorf("metasim: challenge: %w", err)
	}
	return n.String(), nil
}
