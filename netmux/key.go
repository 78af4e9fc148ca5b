package netmux

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"unicode"
)

// ErrBadKey is the error of ParseKey and ReadKey for text that is not a usable key.
var ErrBadKey = errors.New("bad cluster key")

// maxKeyText bounds a key file: a key is a line of text, not a document.
const maxKeyText = 4 << 10

// ParseKey decodes a cluster key from its text: hex (what chordtui keygen
// writes) or standard base64 (padded or not), with surrounding whitespace
// ignored, of at least MinKeySize bytes once decoded. Text that is both
// (digits only) is read as hex. Errors never quote the text: it is a secret.
func ParseKey(text []byte) ([]byte, error) {
	t := bytes.TrimSpace(text)
	if len(t) == 0 {
		return nil, fmt.Errorf("%w: empty", ErrBadKey)
	}
	if len(t) > maxKeyText {
		return nil, fmt.Errorf("%w: %d bytes of text, a key is one line of at most %d", ErrBadKey, len(t), maxKeyText)
	}
	if i := bytes.IndexFunc(t, unicode.IsSpace); i >= 0 {
		// base64 would skip a line break: a key cut over two lines would
		// be taken as another key.
		return nil, fmt.Errorf("%w: a space or line break inside it (a key is one line)", ErrBadKey)
	}
	var key []byte
	var err error
	if isHex(t) {
		// Hex, as keygen writes it: a digit too few is an error, not
		// base64 text of another key.
		if key, err = hex.DecodeString(string(t)); err != nil {
			return nil, fmt.Errorf("%w: hex text of an odd length (%d digits)", ErrBadKey, len(t))
		}
	} else {
		key, err = base64.StdEncoding.DecodeString(string(t))
		if err != nil {
			key, err = base64.RawStdEncoding.DecodeString(string(t))
		}
		if err != nil {
			return nil, fmt.Errorf("%w: not hex or base64 text", ErrBadKey)
		}
	}
	if len(key) < MinKeySize {
		return nil, fmt.Errorf("%w: %d bytes once decoded, want at least %d", ErrBadKey, len(key), MinKeySize)
	}
	return key, nil
}

// isHex reports whether t is made of hex digits only.
func isHex(t []byte) bool {
	for _, c := range t {
		switch {
		case '0' <= c && c <= '9', 'a' <= c && c <= 'f', 'A' <= c && c <= 'F':
		default:
			return false
		}
	}
	return true
}

// ReadKey reads a cluster key from r, a key file (ParseKey says what it
// holds); it reads at most a little more than a key's text can be.
func ReadKey(r io.Reader) ([]byte, error) {
	text, err := io.ReadAll(io.LimitReader(r, maxKeyText+1))
	if err != nil {
		return nil, err
	}
	if len(text) > maxKeyText {
		return nil, fmt.Errorf("%w: more than %d bytes, a key is one line", ErrBadKey, maxKeyText)
	}
	return ParseKey(text)
}
