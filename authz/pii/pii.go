// Package pii protects personal data at rest: identity numbers are sealed with AES-256-GCM and
// indexed by a keyed hash (HMAC-SHA-256), so exact-match lookup works without storing the
// number in clear. The key comes from CREDITGRAPH_DATA_KEY (32 bytes, base64); the embedded
// demo mode creates a local key file instead. The masks (MaskIDNumber, MaskName) live here too,
// so what a caller without the personal-data permission sees is decided in one place.
package pii

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
)

// KeySize is the length of a data key.
const KeySize = 32

// Cipher seals and opens personal data and computes its lookup hash.
type Cipher struct {
	aead        cipher.AEAD
	hashKey     []byte
	signKey     []byte
	fingerprint string
}

// New builds a Cipher from a 32-byte key.
func New(key []byte) (*Cipher, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("a data key has %d bytes, got %d", KeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte("creditgraph id-number lookup"))
	hashKey := m.Sum(nil)
	m = hmac.New(sha256.New, key)
	m.Write([]byte("creditgraph document signing"))
	signKey := m.Sum(nil)
	m = hmac.New(sha256.New, key)
	m.Write([]byte("creditgraph key fingerprint"))
	return &Cipher{aead: aead, hashKey: hashKey, signKey: signKey, fingerprint: hex.EncodeToString(m.Sum(nil))}, nil
}

// Fingerprint tells this key apart from any other (a keyed hash, 64 hex characters) and gives
// nothing of it: a database records the fingerprint of the key its data is sealed with.
func (c *Cipher) Fingerprint() string { return c.fingerprint }

// Sign is an HMAC-SHA256 of msg under a key derived from the data key (apart from the lookup
// hash's): issued documents carry it so that one without the key cannot forge them.
func (c *Cipher) Sign(msg []byte) []byte {
	m := hmac.New(sha256.New, c.signKey)
	m.Write(msg)
	return m.Sum(nil)
}

// Seal encrypts plain text; the result is base64 of nonce and ciphertext.
func (c *Cipher) Seal(plain string) (string, error) {
	nonce := make([]byte, c.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(c.aead.Seal(nonce, nonce, []byte(plain), nil)), nil
}

// Open decrypts what Seal produced.
func (c *Cipher) Open(sealed string) (string, error) {
	raw, err := base64.StdEncoding.DecodeString(sealed)
	if err != nil || len(raw) < c.aead.NonceSize() {
		return "", errors.New("sealed value is malformed")
	}
	n := c.aead.NonceSize()
	plain, err := c.aead.Open(nil, raw[:n], raw[n:], nil)
	if err != nil {
		return "", errors.New("sealed value does not open with this key")
	}
	return string(plain), nil
}

// Hash is the keyed lookup hash of an ID number of a type.
func (c *Cipher) Hash(idType, number string) string {
	m := hmac.New(sha256.New, c.hashKey)
	m.Write([]byte(idType + "\x00" + number))
	return hex.EncodeToString(m.Sum(nil))
}

// ParseKey reads a key written as base64 (standard or URL) or hex.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	for _, dec := range []func(string) ([]byte, error){
		base64.StdEncoding.DecodeString, base64.URLEncoding.DecodeString, base64.RawURLEncoding.DecodeString, hex.DecodeString,
	} {
		if k, err := dec(s); err == nil && len(k) == KeySize {
			return k, nil
		}
	}
	return nil, fmt.Errorf("a data key is %d bytes written as base64 or hex (e.g. openssl rand -base64 32)", KeySize)
}

// LoadOrCreateKeyFile reads the key in path, creating the file with a new random key (mode
// 0600) when it does not exist; created reports the latter.
func LoadOrCreateKeyFile(path string) (key []byte, created bool, err error) {
	b, err := os.ReadFile(path)
	if err == nil {
		k, err := ParseKey(string(b))
		return k, false, err
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, false, err
	}
	key = make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, false, err
	}
	if err := os.WriteFile(path, []byte(base64.StdEncoding.EncodeToString(key)+"\n"), 0o600); err != nil {
		return nil, false, err
	}
	return key, true, nil
}

// MaskIDNumber keeps the first 4 and last 4 characters of an 18-character number
// (3205**********123X, domain.md §10). A shorter document (a passport, a permit: 8–11
// characters) would show most of itself that way, so it shows at most a third of its
// characters, split between its start and its end (9 characters: 1******89).
func MaskIDNumber(s string) string {
	r := []rune(s)
	n := len(r)
	shown := min(8, n/3)
	if n >= 18 {
		shown = 8
	}
	head := shown / 2
	tail := shown - head
	return string(r[:head]) + strings.Repeat("*", n-shown) + string(r[n-tail:])
}

// MaskName keeps a person's surname (the first character) and stars the rest: 张三丰 → 张**.
func MaskName(name string) string {
	r := []rune(strings.TrimSpace(name))
	if len(r) == 0 {
		return ""
	}
	return string(r[0]) + strings.Repeat("*", max(len(r)-1, 1))
}
