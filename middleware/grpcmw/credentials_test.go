package grpcmw_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/cognito-gate/cognito-gate/cognitotest"
	"github.com/cognito-gate/cognito-gate/internal/testhelpers/adaptertest"
	"github.com/cognito-gate/cognito-gate/middleware"
	"github.com/cognito-gate/cognito-gate/middleware/grpcmw"
)

// tlsCreds returns server and client TLS credentials for 127.0.0.1, from
// a self-signed certificate made for the test.
func tlsCreds(t *testing.T) (server, client credentials.TransportCredentials) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "grpcmw test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(cert)
	server = credentials.NewTLS(&tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}, MinVersion: tls.VersionTLS13})
	client = credentials.NewTLS(&tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS13})
	return server, client
}

// source is a TokenFunc that counts its calls.
type source struct {
	tok   string
	err   error
	calls atomic.Int64
}

func (s *source) token(context.Context) (string, error) {
	s.calls.Add(1)
	return s.tok, s.err
}

func mustCreds(t *testing.T, f func(grpcmw.TokenFunc) (credentials.PerRPCCredentials, error), tf grpcmw.TokenFunc) credentials.PerRPCCredentials {
	t.Helper()
	c, err := f(tf)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestPerRPCCredentials: the client helper sends the token over TLS and
// refuses to send it in the clear unless it is the insecure variant.
func TestPerRPCCredentials(t *testing.T) {
	bob := adaptertest.NewEnv(t).Pool.AccessToken(cognitotest.WithUsername("bob"))
	serverTLS, clientTLS := tlsCreds(t)

	tlsServer := newServer(t, middleware.Config{Policy: testPolicy(t)}, serverOpts{grpcOpt: []grpc.ServerOption{grpc.Creds(serverTLS)}})
	plainServer := newServer(t, middleware.Config{Policy: testPolicy(t)}, serverOpts{})

	t.Run("over TLS", func(t *testing.T) {
		src := &source{tok: bob}
		creds := mustCreds(t, grpcmw.PerRPCCredentials, src.token)
		if !creds.RequireTransportSecurity() {
			t.Error("RequireTransportSecurity = false")
		}
		conn, err := grpc.NewClient(tlsServer.addr, grpc.WithTransportCredentials(clientTLS), grpc.WithPerRPCCredentials(creds))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		for range 2 {
			if got, _, err := call(t, conn, "Whoami"); err != nil || got != "bob|whoami" {
				t.Fatalf("Whoami = %q, %v; want bob's call", got, err)
			}
		}
		if n := src.calls.Load(); n != 2 {
			t.Errorf("the TokenFunc was called %d times, want once a call", n)
		}
	})
	t.Run("refused on a plaintext client", func(t *testing.T) {
		src := &source{tok: bob}
		creds := mustCreds(t, grpcmw.PerRPCCredentials, src.token)
		if _, err := grpc.NewClient(plainServer.addr, grpc.WithTransportCredentials(insecure.NewCredentials()), grpc.WithPerRPCCredentials(creds)); err == nil {
			t.Error("grpc.NewClient took secure credentials over a plaintext connection")
		}
		// As a call option, the credentials are checked per call.
		err := callWith(t, plainServer.conn, grpc.PerRPCCredentials(creds))
		if status.Code(err) != codes.Unauthenticated || src.calls.Load() != 0 {
			t.Errorf("call = %v with the TokenFunc called %d times; want Unauthenticated, never called", err, src.calls.Load())
		}
		if calls, _ := sums(t, plainServer.reg); calls != 0 {
			t.Errorf("the server saw %v calls", calls)
		}
	})
	t.Run("insecure variant on plaintext", func(t *testing.T) {
		src := &source{tok: bob}
		creds := mustCreds(t, grpcmw.InsecurePerRPCCredentials, src.token)
		if creds.RequireTransportSecurity() {
			t.Error("RequireTransportSecurity = true")
		}
		conn := dial(t, plainServer.addr, grpc.WithPerRPCCredentials(creds))
		if got, _, err := call(t, conn, "Whoami"); err != nil || got != "bob|whoami" {
			t.Fatalf("Whoami = %q, %v; want bob's call", got, err)
		}
	})
	for _, tt := range []struct {
		name string
		src  *source
		want error
	}{
		{"source fails", &source{err: errors.New("token endpoint down")}, nil},
		{"empty token", &source{}, grpcmw.ErrNoToken},
		{"token with a space", &source{tok: bob + " x"}, grpcmw.ErrNoToken},
		{"token with a line break", &source{tok: bob + "\r\nx-admin: 1"}, grpcmw.ErrNoToken},
	} {
		t.Run(tt.name, func(t *testing.T) {
			conn := dial(t, plainServer.addr, grpc.WithPerRPCCredentials(mustCreds(t, grpcmw.InsecurePerRPCCredentials, tt.src.token)))
			before, _ := sums(t, plainServer.reg)
			_, _, err := call(t, conn, "Whoami")
			if status.Code(err) != codes.Unauthenticated || strings.Contains(err.Error(), bob) {
				t.Errorf("call = %v, want Unauthenticated without the token", err)
			}
			if tt.want != nil && !strings.Contains(err.Error(), tt.want.Error()) {
				t.Errorf("call = %v, want %v", err, tt.want)
			}
			if after, _ := sums(t, plainServer.reg); after != before {
				t.Errorf("the server saw the call")
			}
		})
	}
}

// callWith invokes Whoami with call options and returns its error.
func callWith(t *testing.T, conn *grpc.ClientConn, opts ...grpc.CallOption) error {
	t.Helper()
	return conn.Invoke(t.Context(), "/"+service+"/Whoami", wrapperspb.String("hi"), new(wrapperspb.StringValue), opts...)
}

// TestCredentialsDirect: the credentials' own checks, outside a call: no
// TokenFunc, no connection security known, a TokenFunc's error wrapped.
func TestCredentialsDirect(t *testing.T) {
	for _, f := range []func(grpcmw.TokenFunc) (credentials.PerRPCCredentials, error){grpcmw.PerRPCCredentials, grpcmw.InsecurePerRPCCredentials} {
		if _, err := f(nil); !errors.Is(err, grpcmw.ErrConfig) {
			t.Errorf("a nil TokenFunc = %v, want ErrConfig", err)
		}
	}
	src := &source{tok: "t"}
	secure := mustCreds(t, grpcmw.PerRPCCredentials, src.token)
	if _, err := secure.GetRequestMetadata(t.Context()); !errors.Is(err, grpcmw.ErrInsecure) || src.calls.Load() != 0 {
		t.Errorf("no security level known: %v (TokenFunc called %d times), want ErrInsecure before the TokenFunc", err, src.calls.Load())
	}
	md, err := mustCreds(t, grpcmw.InsecurePerRPCCredentials, src.token).GetRequestMetadata(t.Context())
	if err != nil || len(md) != 1 || md["authorization"] != "Bearer t" {
		t.Errorf("GetRequestMetadata = %v, %v; want only authorization: Bearer t", md, err)
	}
	boom := errors.New("boom")
	failing := &source{err: boom}
	if _, err := mustCreds(t, grpcmw.InsecurePerRPCCredentials, failing.token).GetRequestMetadata(t.Context()); !errors.Is(err, boom) {
		t.Errorf("a failing TokenFunc = %v, want its error wrapped", err)
	}
}
