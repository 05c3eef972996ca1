// The OCI registry the tests push to and pull from (decision 2172): CNCF Distribution v3 with only
// the filesystem storage driver and htpasswd auth linked in, so it builds in about three minutes
// instead of five. `registry serve <config.yml>` as upstream's; one extra subcommand prints an
// htpasswd line, since htpasswd auth takes bcrypt only and Node has none:
//
//	registry htpasswd <user> <password>
package main

import (
	"fmt"
	"os"

	"github.com/distribution/distribution/v3/registry"
	_ "github.com/distribution/distribution/v3/registry/auth/htpasswd"
	_ "github.com/distribution/distribution/v3/registry/storage/driver/filesystem"
	"golang.org/x/crypto/bcrypt"
)

func main() {
	if len(os.Args) == 4 && os.Args[1] == "htpasswd" {
		hash, err := bcrypt.GenerateFromPassword([]byte(os.Args[3]), bcrypt.DefaultCost)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Printf("%s:%s\n", os.Args[2], hash)
		return
	}
	if err := registry.RootCmd.Execute(); err != nil {
		os.Exit(1)
	}
}
