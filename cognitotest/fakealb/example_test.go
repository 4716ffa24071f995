package fakealb_test

import (
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/cognito-gate/cognito-gate/cognitotest/fakealb"
)

func Example() {
	lb, err := fakealb.New(fakealb.Config{})
	if err != nil {
		panic(err)
	}
	defer lb.Close()

	h := lb.Headers("", fakealb.WithUsername("bob"), fakealb.WithSubject("0d9e1c6a-4b1f-4a43-9d6e-1f5e0c2b7a10"))
	data := h.Get(fakealb.DataHeader)
	segs := strings.Split(data, ".")
	header, _ := base64.URLEncoding.DecodeString(segs[0])
	payload, _ := base64.URLEncoding.DecodeString(segs[1])
	uuid := regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
	exp := regexp.MustCompile(`"exp":[0-9]+`)
	fmt.Println("header:", exp.ReplaceAllString(uuid.ReplaceAllString(string(header), "<kid>"), `"exp":<exp>`))
	fmt.Println("payload:", exp.ReplaceAllString(string(payload), `"exp":<exp>`))
	fmt.Println("padded:", strings.HasSuffix(segs[2], "="))
	fmt.Println("identity:", h.Get(fakealb.IdentityHeader))

	keyURL, _ := url.Parse(lb.KeyURL())
	fmt.Println("key endpoint:", keyURL.Hostname(), keyURL.Path)
	resp, err := http.Get(lb.KeyURL() + "/" + lb.KeyID())
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	pem, _ := io.ReadAll(resp.Body)
	fmt.Println("key:", resp.Status, strings.SplitN(string(pem), "\n", 2)[0])
	// Output:
	// header: {"typ":"JWT","kid":"<kid>","alg":"ES256","iss":"https://cognito-idp.us-east-1.amazonaws.com/us-east-1_GateTest1","client":"6q7gatetest0client0id12345","signer":"arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/gate-test/50dc6c495c0c9188","exp":<exp>}
	// payload: {"sub":"0d9e1c6a-4b1f-4a43-9d6e-1f5e0c2b7a10","email_verified":"true","email":"bob@example.com","username":"bob","exp":<exp>,"iss":"https://cognito-idp.us-east-1.amazonaws.com/us-east-1_GateTest1"}
	// padded: true
	// identity: 0d9e1c6a-4b1f-4a43-9d6e-1f5e0c2b7a10
	// key endpoint: 127.0.0.1 /aws-elb-public-keys-prod-us-east-1
	// key: 200 OK -----BEGIN PUBLIC KEY-----
}
