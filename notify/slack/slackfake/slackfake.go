// Package slackfake is a Slack server for tests: slack-go's own
// slacktest server with handlers that record what the reporter sends.
//
// slacktest keeps no record of chat.postMessage and has no file-upload or
// webhook endpoints, and its users.lookupByEmail answers every email with
// the same user, so this package registers its own (custom handlers win
// over slacktest's defaults): chat.postMessage, the three steps of the
// files upload v2 flow (the upload URL is on the server's own host, as
// slack-go requires before it sends the token there), users.lookupByEmail
// over the users added with AddUser, and an incoming webhook. Any call can be answered differently with Reply, to inject
// rate limits and errors.
package slackfake

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	slackgo "github.com/slack-go/slack"
	"github.com/slack-go/slack/slacktest"
)

// The recorded calls, as Reply names them.
const (
	PostMessage    = "chat.postMessage"
	GetUploadURL   = "files.getUploadURLExternal"
	UploadContent  = "upload"
	CompleteUpload = "files.completeUploadExternal"
	LookupByEmail  = "users.lookupByEmail"
	Webhook        = "webhook"
)

// WebhookPath is the path of the fake incoming webhook.
const WebhookPath = "/services/T000/B000/XXXXSECRETXXXX"

// Post is one recorded chat.postMessage.
type Post struct {
	Channel, Text, Token, ThreadTS string
	// Blocks is the blocks JSON as sent.
	Blocks json.RawMessage
}

// Upload is one recorded file upload, from its three steps.
type Upload struct {
	Filename string
	Length   string // as announced to files.getUploadURLExternal
	Content  []byte
	// From files.completeUploadExternal:
	ChannelID, ThreadTS, Files string
}

// ReplyFunc answers the n-th call (from 1) of a method itself and returns
// true, or returns false to let the recorder answer normally.
type ReplyFunc func(w http.ResponseWriter, r *http.Request, n int) bool

// Server is a recording Slack server.
type Server struct {
	*slacktest.Server
	mu       sync.Mutex
	calls    map[string]int
	replies  map[string]ReplyFunc
	posts    []Post
	uploads  []Upload
	webhooks []slackgo.WebhookMessage
	users    map[string]string // email → user ID
	lookups  []string          // the emails looked up, in order
}

// New starts a server and stops it when the test ends.
func New(t testing.TB) *Server {
	s := &Server{calls: map[string]int{}, replies: map[string]ReplyFunc{}, users: map[string]string{}}
	s.Server = slacktest.NewTestServer(func(c slacktest.Customize) {
		c.Handle("/"+PostMessage, s.postMessage)
		c.Handle("/"+GetUploadURL, s.getUploadURL)
		c.Handle("/upload/", s.uploadContent)
		c.Handle("/"+CompleteUpload, s.completeUpload)
		c.Handle("/"+LookupByEmail, s.lookupByEmail)
		c.Handle(WebhookPath, s.webhook)
	})
	s.Start()
	t.Cleanup(s.Stop)
	return s
}

// APIURL is the Web API base URL, for slack.api_url.
func (s *Server) APIURL() string { return s.GetAPIURL() }

// WebhookURL is the URL of the fake incoming webhook.
func (s *Server) WebhookURL() string {
	return strings.TrimSuffix(s.GetAPIURL(), "/") + WebhookPath
}

// Reply makes f answer the calls of method before the recorder does.
func (s *Server) Reply(method string, f ReplyFunc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.replies[method] = f
}

// Calls counts the calls of method, answered or not.
func (s *Server) Calls(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[method]
}

// Posts returns the recorded chat.postMessage calls.
func (s *Server) Posts() []Post {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Post(nil), s.posts...)
}

// Uploads returns the recorded uploads that completed.
func (s *Server) Uploads() []Upload {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Upload(nil), s.uploads...)
}

// Webhooks returns the recorded webhook messages.
func (s *Server) Webhooks() []slackgo.WebhookMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]slackgo.WebhookMessage(nil), s.webhooks...)
}

// AddUser makes users.lookupByEmail answer email with the user id; other
// emails get users_not_found, as Slack answers them.
func (s *Server) AddUser(email, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[email] = id
}

// Lookups returns the emails users.lookupByEmail was asked for, in order.
func (s *Server) Lookups() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.lookups...)
}

// ChannelID is the ID the server gives a channel name: #team-a → CTEAMA.
func ChannelID(name string) string {
	if !strings.HasPrefix(name, "#") {
		return name
	}
	var b strings.Builder
	b.WriteByte('C')
	for _, r := range strings.ToUpper(name[1:]) {
		if (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Timestamp is the ts of every recorded message.
const Timestamp = "1700000000.000100"

// answered counts a call and lets a ReplyFunc answer it.
func (s *Server) answered(method string, w http.ResponseWriter, r *http.Request) bool {
	s.mu.Lock()
	s.calls[method]++
	n, f := s.calls[method], s.replies[method]
	s.mu.Unlock()
	return f != nil && f(w, r, n)
}

func (s *Server) postMessage(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if s.answered(PostMessage, w, r) {
		return
	}
	p := Post{
		Channel: r.PostForm.Get("channel"), Text: r.PostForm.Get("text"), Token: r.PostForm.Get("token"),
		ThreadTS: r.PostForm.Get("thread_ts"), Blocks: json.RawMessage(r.PostForm.Get("blocks")),
	}
	s.mu.Lock()
	s.posts = append(s.posts, p)
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"ok":true,"channel":%q,"ts":%q}`, ChannelID(p.Channel), Timestamp)
}

func (s *Server) getUploadURL(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if s.answered(GetUploadURL, w, r) {
		return
	}
	s.mu.Lock()
	id := fmt.Sprintf("F%03d", len(s.uploads)+1)
	s.uploads = append(s.uploads, Upload{Filename: r.PostForm.Get("filename"), Length: r.PostForm.Get("length")})
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"ok":true,"upload_url":"%supload/%s","file_id":%q}`, s.GetAPIURL(), id, id)
}

func (s *Server) uploadContent(w http.ResponseWriter, r *http.Request) {
	if s.answered(UploadContent, w, r) {
		return
	}
	f, _, err := r.FormFile("file")
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	b, err := io.ReadAll(f)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	if n := len(s.uploads); n > 0 {
		s.uploads[n-1].Content = b
	}
	s.mu.Unlock()
	fmt.Fprint(w, "OK")
}

func (s *Server) completeUpload(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if s.answered(CompleteUpload, w, r) {
		return
	}
	s.mu.Lock()
	if n := len(s.uploads); n > 0 {
		u := &s.uploads[n-1]
		u.ChannelID, u.ThreadTS, u.Files = r.PostForm.Get("channel_id"), r.PostForm.Get("thread_ts"), r.PostForm.Get("files")
	}
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"ok":true,"files":%s}`, r.PostForm.Get("files"))
}

func (s *Server) lookupByEmail(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if s.answered(LookupByEmail, w, r) {
		return
	}
	email := r.PostForm.Get("email")
	s.mu.Lock()
	s.lookups = append(s.lookups, email)
	id, ok := s.users[email]
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if !ok {
		fmt.Fprint(w, `{"ok":false,"error":"users_not_found"}`)
		return
	}
	b, _ := json.Marshal(map[string]any{"ok": true, "user": map[string]any{"id": id, "name": strings.Split(email, "@")[0], "profile": map[string]string{"email": email}}})
	w.Write(b)
}

func (s *Server) webhook(w http.ResponseWriter, r *http.Request) {
	if s.answered(Webhook, w, r) {
		return
	}
	var m slackgo.WebhookMessage
	if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
		http.Error(w, "invalid_payload", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.webhooks = append(s.webhooks, m)
	s.mu.Unlock()
	fmt.Fprint(w, "ok")
}
