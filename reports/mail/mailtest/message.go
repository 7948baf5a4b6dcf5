package mailtest

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	netmail "net/mail"
	"strings"
	"testing"
)

// Attachment is an attached file of a received message.
type Attachment struct {
	Name        string
	ContentType string
	Data        []byte
}

// Message is a received message taken apart.
type Message struct {
	Header      netmail.Header
	Subject     string
	Text, HTML  string
	Attachments []Attachment
	// SinglePart is set for a message that is not multipart, whose body
	// ends in a line break that SMTP requires and the sender did not write.
	SinglePart bool
}

// Attachment returns the attachment named name, or nil.
func (m *Message) Attachment(name string) *Attachment {
	for i := range m.Attachments {
		if m.Attachments[i].Name == name {
			return &m.Attachments[i]
		}
	}
	return nil
}

// Parse decodes a received message with net/mail and mime/multipart, down
// through nested multiparts, and fails the test if it cannot.
func Parse(t testing.TB, data []byte) Message {
	t.Helper()
	m, err := netmail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("mailtest: read message: %v", err)
	}
	var p Message
	p.Header = m.Header
	p.SinglePart = !strings.HasPrefix(m.Header.Get("Content-Type"), "multipart/")
	p.Subject, err = new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if err != nil {
		t.Fatalf("mailtest: decode subject %q: %v", m.Header.Get("Subject"), err)
	}
	if err := walkPart(&p, m.Header.Get("Content-Type"), m.Header.Get("Content-Transfer-Encoding"), "", m.Body); err != nil {
		t.Fatalf("mailtest: walk message: %v\n%s", err, data)
	}
	return p
}

func walkPart(p *Message, contentType, cte, filename string, body io.Reader) error {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return err
	}
	if strings.HasPrefix(mt, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			part, err := mr.NextPart()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return err
			}
			// NextPart decodes quoted-printable itself and drops the header.
			err = walkPart(p, part.Header.Get("Content-Type"), part.Header.Get("Content-Transfer-Encoding"),
				part.FileName(), part)
			if err != nil {
				return err
			}
		}
	}
	switch strings.ToLower(cte) {
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, body)
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	}
	b, err := io.ReadAll(body)
	if err != nil {
		return err
	}
	switch {
	case filename != "":
		p.Attachments = append(p.Attachments, Attachment{Name: filename, ContentType: mt, Data: b})
	case mt == "text/plain":
		p.Text = string(b)
	case mt == "text/html":
		p.HTML = string(b)
	default:
		return errors.New("unexpected part " + mt)
	}
	return nil
}
