// Package mail delivers the nightly report by email.
//
// [Send] builds one MIME message — a plain-text summary of the headline
// KPIs, its HTML alternative and the report files as attachments — and hands
// it to an SMTP server, retrying temporary failures with exponential backoff.
// MIME encoding and the SMTP dialogue are done by github.com/wneessen/go-mail;
// this package adds configuration, validation, the retry policy and logging.
//
// The connection is secured with STARTTLS by default, or implicit TLS;
// plain-text SMTP is accepted only for servers on the loopback interface
// unless [Config.AllowInsecure] says otherwise, and credentials are never
// sent in clear text to a remote host. The password is never logged: fill
// [Config.Password] with [PasswordFrom] from an environment variable or a
// file, not from the configuration file.
//
// A failed delivery leaves the report where the renderer wrote it; Send
// returns the error and the caller records the failure.
package mail
