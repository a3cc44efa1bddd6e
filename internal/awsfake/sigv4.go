package awsfake

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// identity is a principal the server knows: the management key pair or a
// session issued by AssumeRole.
type identity struct {
	accessKeyID string
	secret      string
	token       string // empty for long-term keys
	account     string
	arn         string
	session     bool
}

// maxClockSkew is how far X-Amz-Date may be from the server's clock.
const maxClockSkew = 15 * time.Minute

// sigV4Auth is a parsed SigV4 Authorization header.
type sigV4Auth struct {
	accessKeyID   string
	date          string
	region        string
	service       string
	signedHeaders []string
	signature     string
}

// parseAuthorization parses
// "AWS4-HMAC-SHA256 Credential=AKID/DATE/REGION/SERVICE/aws4_request, SignedHeaders=a;b, Signature=hex".
func parseAuthorization(h string) (sigV4Auth, error) {
	var a sigV4Auth
	rest, ok := strings.CutPrefix(h, "AWS4-HMAC-SHA256 ")
	if !ok {
		//lint:ignore ST1005 the text is sent as the IncompleteSignature message, worded like AWS's
		return a, fmt.Errorf("Authorization header requires the AWS4-HMAC-SHA256 algorithm")
	}
	for part := range strings.SplitSeq(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "Credential":
			scope := strings.Split(v, "/")
			if len(scope) != 5 || scope[4] != "aws4_request" {
				//lint:ignore ST1005 the text is sent as the IncompleteSignature message, worded like AWS's
				return a, fmt.Errorf("Credential %q: want AKID/DATE/REGION/SERVICE/aws4_request", v)
			}
			a.accessKeyID, a.date, a.region, a.service = scope[0], scope[1], scope[2], scope[3]
		case "SignedHeaders":
			a.signedHeaders = strings.Split(v, ";")
		case "Signature":
			a.signature = v
		}
	}
	if a.accessKeyID == "" || len(a.signedHeaders) == 0 || a.signature == "" {
		//lint:ignore ST1005 the text is sent as the IncompleteSignature message, worded like AWS's
		return a, fmt.Errorf("Authorization header requires Credential, SignedHeaders and Signature")
	}
	return a, nil
}

// authenticate checks that r is SigV4-signed for service by a principal
// the server issued, and returns that principal. The caller holds s.mu.
func (s *Server) authenticate(r *http.Request, body []byte, service string) (identity, *apiError) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return identity{}, &apiError{status: 403, code: "MissingAuthenticationToken", message: "Request is missing Authentication Token"}
	}
	auth, err := parseAuthorization(h)
	if err != nil {
		return identity{}, &apiError{status: 400, code: "IncompleteSignature", message: err.Error()}
	}
	id, ok := s.keys[auth.accessKeyID]
	if !ok || r.Header.Get("X-Amz-Security-Token") != id.token {
		return identity{}, &apiError{status: 403, code: "InvalidClientTokenId", message: "The security token included in the request is invalid."}
	}
	if auth.service != service {
		return identity{}, signatureMismatch(fmt.Sprintf("Credential should be scoped to correct service: '%s'.", service))
	}
	signedAt, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
	if err != nil || !strings.HasPrefix(r.Header.Get("X-Amz-Date"), auth.date) {
		return identity{}, &apiError{status: 400, code: "IncompleteSignature", message: "X-Amz-Date is missing or does not match the credential scope date"}
	}
	if skew := s.now().Sub(signedAt).Abs(); skew > maxClockSkew {
		return identity{}, signatureMismatch(fmt.Sprintf("Signature expired: %s is more than %s from the server time", signedAt.Format(time.RFC3339), maxClockSkew))
	}
	want, err := expectedSignature(r, body, auth, id, signedAt)
	if err != nil {
		return identity{}, &apiError{status: 400, code: "IncompleteSignature", message: err.Error()}
	}
	if !hmac.Equal([]byte(want), []byte(auth.signature)) {
		return identity{}, signatureMismatch("The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.")
	}
	return id, nil
}

func signatureMismatch(msg string) *apiError {
	return &apiError{status: 403, code: "SignatureDoesNotMatch", message: msg}
}

// expectedSignature re-signs, with the SDK's own signer, a copy of r that
// carries only the headers the client signed, and returns the signature.
func expectedSignature(r *http.Request, body []byte, auth sigV4Auth, id identity, signedAt time.Time) (string, error) {
	cp, err := http.NewRequest(r.Method, "http://"+r.Host+r.URL.RequestURI(), nil)
	if err != nil {
		return "", fmt.Errorf("rebuild request: %v", err)
	}
	for _, name := range auth.signedHeaders {
		switch name {
		case "host":
			// The signer takes it from the request itself.
		case "content-length":
			cp.ContentLength = int64(len(body))
		default:
			cp.Header[http.CanonicalHeaderKey(name)] = r.Header.Values(name)
		}
	}
	sum := sha256.Sum256(body)
	creds := aws.Credentials{AccessKeyID: id.accessKeyID, SecretAccessKey: id.secret, SessionToken: id.token}
	if err := v4.NewSigner().SignHTTP(r.Context(), creds, cp, hex.EncodeToString(sum[:]), auth.service, auth.region, signedAt); err != nil {
		return "", fmt.Errorf("sign: %v", err)
	}
	mine, err := parseAuthorization(cp.Header.Get("Authorization"))
	if err != nil {
		return "", err
	}
	if strings.Join(mine.signedHeaders, ";") != strings.Join(auth.signedHeaders, ";") {
		return "", fmt.Errorf("SignedHeaders %s: want %s", strings.Join(auth.signedHeaders, ";"), strings.Join(mine.signedHeaders, ";"))
	}
	return mine.signature, nil
}
