// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/parsecd/parsecd/src/status"
)

// parsec-tool 0.7.0 ends a failed subcommand with
//
//	[ERROR parsec_tool] Subcommand failed: <Display> (<Debug>)
//
// where Display and Debug are Rust's renderings of its error chain, e.g.
// "asking for an item that doesn't exist (ParsecClientError(Service(
// PsaErrorDoesNotExist)))". The types below carry what is needed to
// render both.

// toolError is parsec-tool's ToolErrorKind. msg, when set, is logged at the
// Error level before the final line (parsec-tool logs the reason with
// error! and returns the bare kind).
type toolError struct {
	kind string
	msg  string
}

var toolErrorText = map[string]string{
	"NotSupported":      "Operation not supported by the parsec-tool",
	"WrongKeyAlgorithm": "They key was not created with the correct algorithm for this operation",
	"NoInput":           "A command expected input data that was not given",
	"IncorrectData":     "Incorrect data format",
}

func (e *toolError) Error() string {
	if e.msg != "" {
		return e.msg + " (" + e.kind + ")"
	}
	return toolErrorText[e.kind]
}

func notSupported(format string, args ...any) error {
	return &toolError{"NotSupported", fmt.Sprintf(format, args...)}
}

func wrongKeyAlgorithm(format string, args ...any) error {
	return &toolError{"WrongKeyAlgorithm", fmt.Sprintf(format, args...)}
}

func incorrectData(format string, args ...any) error {
	return &toolError{"IncorrectData", fmt.Sprintf(format, args...)}
}

// clientErr is parsec-client's ClientErrorKind (without the I/O ones).
type clientErr struct{ kind string }

var clientErrorText = map[string]string{
	"NotFound":                   "one of the resources required in the operation was not found",
	"InvalidProvider":            "operation not supported by selected provider",
	"NoProvider":                 "client is missing an implicit provider",
	"NoAuthenticator":            "service is not reporting any authenticators or none of the reported ones are supported by the client",
	"InvalidSocketAddress":       "the socket address provided in the URL is not valid",
	"InvalidSocketUrl":           "the socket URL is invalid",
	"InvalidServiceResponseType": "the opcode of the response does not match the opcode of the request",
}

func clientError(kind string) error { return &clientErr{kind} }

func (e *clientErr) Error() string { return clientErrorText[e.kind] }

// interfaceErr is a ResponseStatus made by the tool itself (a provider id
// that does not exist).
type interfaceErr struct{ code status.Code }

func (e *interfaceErr) Error() string { return e.code.Description() }

// rcgenErr is what create-csr reports when signing the request failed.
type rcgenErr struct{}

func (rcgenErr) Error() string {
	return "There is no support for generating keys for the given algorithm"
}

// base64Err is a decoding error of the base64 0.13 crate.
type base64Err struct {
	kind   string // InvalidByte, InvalidLength, InvalidLastSymbol
	offset int
	b      byte
}

func (e *base64Err) Error() string {
	switch e.kind {
	case "InvalidByte":
		return fmt.Sprintf("Invalid byte %d, offset %d.", e.b, e.offset)
	case "InvalidLastSymbol":
		return fmt.Sprintf("Invalid last symbol %d, offset %d.", e.b, e.offset)
	}
	return "Encoded text cannot have a 6-bit remainder."
}

func (e *base64Err) debug() string {
	if e.kind == "InvalidLength" {
		return "InvalidLength"
	}
	return fmt.Sprintf("%s(%d, %d)", e.kind, e.offset, e.b)
}

// rustError renders err as parsec-tool does: Display and Debug. I/O
// failures after the connection was made are logged as parsec-interface
// logs them.
func (a *app) rustError(err error) (string, string) {
	var te *toolError
	var ce *clientErr
	var ie *interfaceErr
	var be *base64Err
	var se *status.Error
	var code status.Code
	var ue *usageError
	switch {
	case errors.As(err, &te):
		return toolErrorText[te.kind], "ParsecToolError(" + te.kind + ")"
	case errors.As(err, &ce):
		return ce.Error(), "ParsecClientError(Client(" + ce.kind + "))"
	case errors.As(err, &ie):
		return ie.Error(), "ParsecInterfaceError(" + ie.code.String() + ")"
	case errors.As(err, &be):
		return be.Error(), "Base64Decode(" + be.debug() + ")"
	case errors.As(err, &rcgenErr{}):
		return rcgenErr{}.Error(), "RcgenError(KeyGenerationUnavailable)"
	case errors.As(err, &se) && se.Err != nil:
		return a.ioError(se)
	case errors.As(err, &se):
		return se.Code.Description(), "ParsecClientError(Service(" + se.Code.String() + "))"
	case errors.As(err, &code):
		return code.Description(), "ParsecClientError(Service(" + code.String() + "))"
	case errors.As(err, &ue):
		return ue.msg, "ParsecToolError(IncorrectData)"
	}
	return err.Error(), "IoError(Custom { kind: Other, error: " + fmt.Sprintf("%q", err.Error()) + " })"
}

// ioError renders a failure of the exchange with the service: a failed
// connection is parsec-client's Ipc error; a failed read or write becomes a
// ConnectionError status, with parsec-interface's warning.
func (a *app) ioError(se *status.Error) (string, string) {
	debug, display := rustIOError(se.Err)
	if op := (*net.OpError)(nil); se.Code == status.ConnectionError && errors.As(se.Err, &op) && op.Op == "dial" {
		return display, "ParsecClientError(Client(Ipc(" + debug + ")))"
	}
	if se.Code == status.ConnectionError {
		const target = "parsec_interface::requests::response_status"
		a.log.log(levelWarn, target, "Conversion from %s to ResponseStatus::ConnectionError.", debug)
		if strings.Contains(debug, "WouldBlock") {
			a.log.log(levelWarn, target, "The WouldBlock error might mean that the connection timed out. Try in increase the timeout length.")
		}
		return status.ConnectionError.Description(), "ParsecClientError(Client(Interface(ConnectionError)))"
	}
	return se.Code.Description(), "ParsecClientError(Client(Interface(" + se.Code.String() + ")))"
}

// errnoInfo is Rust's ErrorKind and strerror text of common errno values.
var errnoInfo = map[syscall.Errno][2]string{
	syscall.EPERM:        {"PermissionDenied", "Operation not permitted"},
	syscall.ENOENT:       {"NotFound", "No such file or directory"},
	syscall.EAGAIN:       {"WouldBlock", "Resource temporarily unavailable"},
	syscall.EACCES:       {"PermissionDenied", "Permission denied"},
	syscall.EPIPE:        {"BrokenPipe", "Broken pipe"},
	syscall.ECONNRESET:   {"ConnectionReset", "Connection reset by peer"},
	syscall.ECONNREFUSED: {"ConnectionRefused", "Connection refused"},
	syscall.ETIMEDOUT:    {"TimedOut", "Connection timed out"},
	syscall.ENOTSOCK:     {"Uncategorized", "Socket operation on non-socket"},
}

// rustIOError returns the Debug and Display of the std::io::Error that the
// Rust client would have met.
func rustIOError(err error) (debug, display string) {
	var errno syscall.Errno
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		errno = syscall.EAGAIN
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return `Error { kind: UnexpectedEof, message: "failed to fill whole buffer" }`, "failed to fill whole buffer"
	case errors.As(err, &errno):
	default:
		return fmt.Sprintf("Custom { kind: Other, error: %q }", err.Error()), err.Error()
	}
	info, ok := errnoInfo[errno]
	if !ok {
		msg := errno.Error()
		info = [2]string{"Uncategorized", strings.ToUpper(msg[:1]) + msg[1:]}
	}
	return fmt.Sprintf("Os { code: %d, kind: %s, message: %q }", int(errno), info[0], info[1]),
		fmt.Sprintf("%s (os error %d)", info[1], int(errno))
}

// ---- base64 ----

const b64Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

// decodeBase64 decodes like base64 0.13's decode (standard alphabet,
// padding optional, no whitespace), with its errors.
func decodeBase64(s string) ([]byte, error) {
	in := []byte(s)
	val := func(b byte) int { return strings.IndexByte(b64Alphabet, b) }
	n := len(in)
	if r := n % 8; r == 1 || r == 5 {
		if last := in[n-1]; last != '=' && val(last) < 0 {
			return nil, &base64Err{kind: "InvalidByte", offset: n - 1, b: last}
		}
		return nil, &base64Err{kind: "InvalidLength"}
	}
	// Every chunk of 8 but the last is decoded strictly.
	start := 0
	if n > 0 {
		start = (n - 1) / 8 * 8
	}
	for i := 0; i < start; i++ {
		if val(in[i]) < 0 {
			return nil, &base64Err{kind: "InvalidByte", offset: i, b: in[i]}
		}
	}
	var morsels []int
	pads, firstPad := 0, 0
	last := byte(0)
	for i, b := range in[start:] {
		if b == '=' {
			if i%4 < 2 {
				bad := i
				if pads > 0 {
					bad = firstPad
				}
				return nil, &base64Err{kind: "InvalidByte", offset: start + bad, b: b}
			}
			if pads == 0 {
				firstPad = i
			}
			pads++
			continue
		}
		if pads > 0 {
			return nil, &base64Err{kind: "InvalidByte", offset: start + firstPad, b: '='}
		}
		v := val(b)
		if v < 0 {
			return nil, &base64Err{kind: "InvalidByte", offset: start + i, b: b}
		}
		last = b
		morsels = append(morsels, v)
	}
	out := make([]byte, 0, n/4*3+3)
	for i := 0; i+8 <= start; i += 8 {
		out = appendMorsels(out, in[i:i+8], val)
	}
	var bits uint64
	for i, m := range morsels {
		bits |= uint64(m) << (64 - 6*(i+1))
	}
	ready := map[int]int{0: 0, 2: 8, 3: 16, 4: 24, 6: 32, 7: 40, 8: 48}[len(morsels)]
	if mask := ^uint64(0) >> ready; bits&mask != 0 {
		return nil, &base64Err{kind: "InvalidLastSymbol", offset: start + len(morsels) - 1, b: last}
	}
	for k := 0; k < ready; k += 8 {
		out = append(out, byte(bits>>(56-k)))
	}
	return out, nil
}

func appendMorsels(out, chunk []byte, val func(byte) int) []byte {
	var bits uint64
	for i, b := range chunk {
		bits |= uint64(val(b)) << (64 - 6*(i+1))
	}
	for k := 0; k < 48; k += 8 {
		out = append(out, byte(bits>>(56-k)))
	}
	return out
}
