package mail

import (
	"bytes"
	"fmt"
	"mime"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// Message is one report email: a subject, the summary of the headline KPIs
// as plain text and HTML alternatives (at least one of the two), and the
// report files.
type Message struct {
	// Subject follows [Config.SubjectPrefix]; it may hold any Unicode text
	// but no line break.
	Subject string
	// Text and HTML are the same summary in two forms; a mail client shows
	// the HTML one when it can.
	Text, HTML string
	// Attachments are sent in order, e.g. report.pdf.
	Attachments []Attachment
}

// Attachment is a file sent with the [Message].
type Attachment struct {
	// Name is the file name the recipient sees, without directories.
	Name string
	// ContentType is a MIME type such as "application/pdf"; empty selects
	// one from the extension of Name, or application/octet-stream.
	ContentType string
	// Data is the file content; it must not be empty.
	Data []byte
}

// validate checks m and returns an error matching [ErrInvalidMessage]
// naming the first bad field.
func (m *Message) validate() error {
	bad := func(field, format string, args ...any) error {
		return fmt.Errorf("%w: %s: %s", ErrInvalidMessage, field, fmt.Sprintf(format, args...))
	}
	if strings.TrimSpace(m.Subject) == "" {
		return bad("Subject", "empty")
	}
	if strings.ContainsAny(m.Subject, "\r\n") {
		return bad("Subject", "contains a line break")
	}
	if m.Text == "" && m.HTML == "" {
		return bad("Text", "no Text or HTML body")
	}
	seen := make(map[string]bool, len(m.Attachments))
	for i, a := range m.Attachments {
		field := fmt.Sprintf("Attachments[%d]", i)
		switch {
		case a.Name == "":
			return bad(field, "no Name")
		case strings.ContainsAny(a.Name, "/\\\x00\r\n\""):
			return bad(field, "name %q must be a bare file name", a.Name)
		case seen[a.Name]:
			return bad(field, "name %q used twice", a.Name)
		case len(a.Data) == 0:
			return bad(field, "%s: no data", a.Name)
		}
		seen[a.Name] = true
		if a.ContentType != "" {
			if _, _, err := mime.ParseMediaType(a.ContentType); err != nil {
				return bad(field, "%s: content type %q: %v", a.Name, a.ContentType, err)
			}
		}
	}
	return nil
}

// build turns m into a go-mail message addressed as cfg says. Each attempt
// builds its own, so that a failed write cannot leave an attachment reader
// half consumed; id (without angle brackets) and date are fixed by the
// first attempt, so the server and the recipients see one message however
// many attempts it takes.
func build(cfg *Config, m *Message, id string, date time.Time) (*gomail.Msg, error) {
	msg := gomail.NewMsg()
	if err := msg.From(cfg.From); err != nil {
		return nil, fmt.Errorf("mail: From %q: %w", cfg.From, err)
	}
	if err := msg.To(cfg.To...); err != nil {
		return nil, fmt.Errorf("mail: To: %w", err)
	}
	if len(cfg.Cc) > 0 {
		if err := msg.Cc(cfg.Cc...); err != nil {
			return nil, fmt.Errorf("mail: Cc: %w", err)
		}
	}
	msg.Subject(cfg.SubjectPrefix + m.Subject)
	msg.SetDateWithValue(date)
	msg.SetMessageIDWithValue(id)
	msg.SetBulk() // an automated report: no out-of-office replies

	switch {
	case m.Text != "" && m.HTML != "":
		msg.SetBodyString(gomail.TypeTextPlain, m.Text)
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	case m.Text != "":
		msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	default:
		msg.SetBodyString(gomail.TypeTextHTML, m.HTML)
	}
	for _, a := range m.Attachments {
		var opts []gomail.FileOption
		if a.ContentType != "" {
			opts = append(opts, gomail.WithFileContentType(gomail.ContentType(a.ContentType)))
		}
		msg.AttachReadSeeker(a.Name, bytes.NewReader(a.Data), opts...)
	}
	return msg, nil
}
