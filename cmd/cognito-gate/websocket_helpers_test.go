package main

import (
	"bufio"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cognito-gate/cognito-gate/middleware"
)

// A WebSocket client and server of RFC 6455, as small as the tests need:
// the opening handshake, and frames of at most 125 bytes (text, binary,
// Close), masked from the client, unmasked from the server.

// wsGUID is the GUID of the Sec-WebSocket-Accept computation.
const wsGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// wsAccept is the Sec-WebSocket-Accept for the client's key (RFC 6455
// section 4.2.2).
func wsAccept(key string) string {
	h := sha1.Sum([]byte(key + wsGUID))
	return base64.StdEncoding.EncodeToString(h[:])
}

// wsTokenEntry is the subprotocol entry that carries tok.
func wsTokenEntry(tok string) string {
	return middleware.WebSocketTokenPrefix + base64.RawURLEncoding.EncodeToString([]byte(tok))
}

// wsFrame is a frame read from a connection.
type wsFrame struct {
	op      byte
	payload []byte
}

// readWSFrame reads one frame of at most 125 bytes, unmasking it.
func readWSFrame(r io.Reader) (wsFrame, error) {
	var h [2]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return wsFrame{}, err
	}
	n := int(h[1] & 0x7f)
	if n > 125 {
		return wsFrame{}, fmt.Errorf("a frame of %d bytes: longer than the tests send", n)
	}
	var mask [4]byte
	masked := h[1]&0x80 != 0
	if masked {
		if _, err := io.ReadFull(r, mask[:]); err != nil {
			return wsFrame{}, err
		}
	}
	p := make([]byte, n)
	if _, err := io.ReadFull(r, p); err != nil {
		return wsFrame{}, err
	}
	if masked {
		for i := range p {
			p[i] ^= mask[i%4]
		}
	}
	return wsFrame{op: h[0] & 0x0f, payload: p}, nil
}

// writeWSFrame writes a final frame of at most 125 bytes, masked when mask
// is set (a client's frames must be).
func writeWSFrame(w io.Writer, op byte, p []byte, mask bool) error {
	f := []byte{0x80 | op, byte(len(p))}
	if mask {
		var k [4]byte
		rand.Read(k[:])
		f[1] |= 0x80
		f = append(f, k[:]...)
		for i, c := range p {
			f = append(f, c^k[i%4])
		}
	} else {
		f = append(f, p...)
	}
	_, err := w.Write(f)
	return err
}

// wsUpstream is an upstream that accepts WebSocket handshakes, answering
// with the subprotocol answer picks from the offered ones ("" for none),
// and echoes each text frame as "echo: " and the text. Its upstream
// records each handshake it received.
type wsUpstream struct {
	*upstream
	answer func(offered string) string
}

func newWSUpstream(t *testing.T, answer func(offered string) string) *wsUpstream {
	t.Helper()
	u := &wsUpstream{answer: answer}
	u.upstream = newUpstream(t, u.serve)
	return u
}

func (u *wsUpstream) serve(w http.ResponseWriter, r *http.Request) {
	if !middleware.IsWebSocketHandshake(r) {
		http.Error(w, "not a WebSocket handshake", http.StatusBadRequest)
		return
	}
	conn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	proto := ""
	if p := u.answer(r.Header.Get("Sec-WebSocket-Protocol")); p != "" {
		proto = "Sec-WebSocket-Protocol: " + p + "\r\n"
	}
	fmt.Fprintf(brw, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n%s\r\n",
		wsAccept(r.Header.Get("Sec-WebSocket-Key")), proto)
	if brw.Flush() != nil {
		return
	}
	for {
		f, err := readWSFrame(brw)
		if err != nil || f.op == 8 {
			return
		}
		if writeWSFrame(conn, 1, append([]byte("echo: "), f.payload...), false) != nil {
			return
		}
	}
}

// firstOffered answers a handshake with the first subprotocol offered.
func firstOffered(offered string) string {
	first, _, _ := strings.Cut(offered, ",")
	return strings.TrimSpace(first)
}

// wsClient is the client end of a WebSocket connection.
type wsClient struct {
	conn net.Conn
	br   *bufio.Reader
	resp *http.Response
}

// dialWS sends a WebSocket opening handshake for path to the gate at addr
// ("http://host:port") with the given extra header lines, and reads the
// answer. The connection is closed when the test ends.
func dialWS(t *testing.T, addr, path string, header http.Header) *wsClient {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(addr, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	req, _ := http.NewRequest("GET", addr+path, nil)
	req.Header = header.Clone()
	if req.Header == nil {
		req.Header = http.Header{}
	}
	if _, ok := req.Header["Upgrade"]; !ok {
		req.Header.Set("Upgrade", "websocket")
		req.Header.Set("Connection", "Upgrade")
	}
	var key [16]byte
	rand.Read(key[:])
	req.Header.Set("Sec-WebSocket-Key", base64.StdEncoding.EncodeToString(key[:]))
	req.Header.Set("Sec-WebSocket-Version", "13")
	if err := req.Write(conn); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode == http.StatusSwitchingProtocols && resp.Header.Get("Sec-WebSocket-Accept") != wsAccept(req.Header.Get("Sec-WebSocket-Key")) {
		t.Fatalf("Sec-WebSocket-Accept %q is not the key's", resp.Header.Get("Sec-WebSocket-Accept"))
	}
	return &wsClient{conn: conn, br: br, resp: resp}
}

// send writes a text message and reads the answer.
func (c *wsClient) roundTrip(t *testing.T, text string) string {
	t.Helper()
	if err := writeWSFrame(c.conn, 1, []byte(text), true); err != nil {
		t.Fatal(err)
	}
	f, err := readWSFrame(c.br)
	if err != nil {
		t.Fatal(err)
	}
	return string(f.payload)
}
