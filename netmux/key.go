package netmux

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
)

// ErrBadKey is the error of ParseKey and LoadKey for text that is not a usable key.
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
	key, err := hex.DecodeString(string(t))
	if err != nil {
		key, err = base64.StdEncoding.DecodeString(string(t))
	}
	if err != nil {
		key, err = base64.RawStdEncoding.DecodeString(string(t))
	}
	if err != nil {
		return nil, fmt.Errorf("%w: not hex or base64 text", ErrBadKey)
	}
	if len(key) < MinKeySize {
		return nil, fmt.Errorf("%w: %d bytes once decoded, want at least %d", ErrBadKey, len(key), MinKeySize)
	}
	return key, nil
}

// LoadKey reads a cluster key from the file at path (ParseKey says what
// it holds).
func LoadKey(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("key file: %w", err)
	}
	defer f.Close()
	text, err := io.ReadAll(io.LimitReader(f, maxKeyText+1))
	if err != nil {
		return nil, fmt.Errorf("key file %s: %w", path, err)
	}
	key, err := ParseKey(text)
	if err != nil {
		return nil, fmt.Errorf("key file %s: %w", path, err)
	}
	return key, nil
}
