package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"testing"
	"time"
)

// TestSlotHandoff replaces a slot's server again and again under a
// stream of requests on new connections: every request is answered (by
// one server or the next), a request in flight on a replaced server
// finishes there, and after the shutdown connections are refused.
func TestSlotHandoff(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 8)
	s := newSlot("main", ln, nil, nil, errc, func(err error) { t.Errorf("accept: %v", err) })
	entered, release := make(chan struct{}), make(chan struct{})
	server := func(id int) *http.Server {
		return &http.Server{ReadHeaderTimeout: time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/slow" {
				close(entered)
				<-release
			}
			fmt.Fprint(w, id)
		})}
	}
	s.serve(server(0), 5*time.Second)
	url := "http://" + ln.Addr().String()

	slow := make(chan string, 1)
	go func() {
		resp, err := http.Get(url + "/slow")
		if err != nil {
			slow <- err.Error()
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		slow <- string(b)
	}()
	<-entered

	st := startStream(url + "/")
	for i := 1; i <= 20; i++ {
		s.serve(server(i), 5*time.Second)
		time.Sleep(2 * time.Millisecond) // let the stream reach each server
	}
	close(release)
	if got := <-slow; got != "0" {
		t.Errorf("the request in flight on the first server: %q, want its answer 0", got)
	}
	st.end(t)
	resp, err := http.Get(url + "/")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "20" {
		t.Errorf("answered by server %s, want the last one, 20", b)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := http.Get(url + "/"); err == nil {
		t.Error("served after the shutdown")
	}
	select {
	case err := <-errc:
		t.Errorf("a server failed: %v", err)
	default:
	}
}
