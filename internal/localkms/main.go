// Command local-kms runs the KMS emulator github.com/nsmithuk/local-kms,
// pinned by this directory's go.mod, on a loopback address: the tests of
// byokctl grants --check and --apply start it (make localkms builds
// it). Its own main listens on every interface; this one listens on
// 127.0.0.1 only, on a free port, and prints "listening on ADDRESS" on
// stdout once it accepts connections.
//
// KMS_DATA_PATH is the directory of its database (required: a test gives
// a temporary one); KMS_ACCOUNT_ID and KMS_REGION are those of its keys
// (default 111122223333 and eu-west-2).
package main

import (
	"fmt"
	"log"
	"net"
	"net/http"
	"os"

	kms "github.com/nsmithuk/local-kms/src"
	"github.com/nsmithuk/local-kms/src/config"
	"github.com/nsmithuk/local-kms/src/data"
)

func main() {
	config.AWSAccountId = getenv("KMS_ACCOUNT_ID", "111122223333")
	config.AWSRegion = getenv("KMS_REGION", "eu-west-2")
	config.DatabasePath = os.Getenv("KMS_DATA_PATH")
	if config.DatabasePath == "" {
		log.Fatal("local-kms: set KMS_DATA_PATH to the directory of its database")
	}
	db := data.NewDatabase(config.DatabasePath)
	defer db.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("listening on %s\n", ln.Addr())
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { kms.HandleRequest(w, r, db) })
	log.Fatal(http.Serve(ln, handler))
}

func getenv(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
